import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  storageKeys,
  sweepObjects,
  uploadToPresignedUrl,
  verifyUploadedObject,
  type ObjectStorage,
  type PresignedUpload,
  type StorageErrorCode,
} from '../src';

const md5 = (bytes: Uint8Array) => createHash('md5').update(bytes).digest('hex');
const bytesOf = (n: number, seed = 7) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * seed + 13) % 256));

export async function expectCode(promise: Promise<unknown>, code: StorageErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'StorageError', code });
}

/** What a browser does with a presigned upload, written out with plain fetch. */
export async function rawUpload(
  upload: PresignedUpload,
  body: Uint8Array,
  contentType?: string,
): Promise<Response> {
  if (upload.method === 'POST') {
    const form = new FormData();
    for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
    if (contentType !== undefined) form.set('Content-Type', contentType);
    form.append('file', new Blob([body]), 'upload.bin');
    return fetch(upload.url, { method: 'POST', body: form });
  }
  return fetch(upload.url, {
    method: 'PUT',
    headers: { 'Content-Type': contentType ?? upload.headers['Content-Type']! },
    body,
  });
}

/**
 * The behaviour every driver must share. `start` returns a fresh, empty
 * store; the suite never looks at which driver it is.
 */
export function describeStorageContract(
  name: string,
  start: () => Promise<{ storage: ObjectStorage; close: () => Promise<void> }>,
): void {
  describe(`ObjectStorage contract: ${name}`, () => {
    let storage: ObjectStorage;
    let close: () => Promise<void>;

    beforeAll(async () => {
      ({ storage, close } = await start());
      await storage.ensureBucket();
    });
    afterAll(async () => close());

    it('ensureBucket is idempotent and the store reports healthy with a latency', async () => {
      await storage.ensureBucket();
      const health = await storage.checkHealth();
      expect(health.ok).toBe(true);
      expect(health.latencyMs).toBeGreaterThanOrEqual(0);
    });

    it('put → head → get round-trips bytes, content type, etag and metadata', async () => {
      const key = storageKeys.result('gen-roundtrip', 'png');
      const body = bytesOf(70_000);
      const metadata = { artist: 'Kim Hana 김하나', 'style-id': 'st_1', note: '100% ok' };
      const put = await storage.put(key, body, { contentType: 'image/png', metadata });
      expect(put).toEqual({ etag: md5(body), size: body.length });

      const info = await storage.head(key);
      expect(info).toMatchObject({
        key,
        size: body.length,
        contentType: 'image/png',
        etag: md5(body),
        metadata,
      });
      expect(info!.lastModified.getTime()).toBeGreaterThan(Date.now() - 60_000);
      expect(Buffer.compare(await storage.get(key), body)).toBe(0);

      const { info: streamInfo, body: stream } = await storage.getStream(key);
      expect(streamInfo.size).toBe(body.length);
      const chunks: Buffer[] = [];
      for await (const chunk of stream) chunks.push(chunk as Buffer);
      expect(Buffer.compare(Buffer.concat(chunks), body)).toBe(0);
    });

    it('stores streams with and without a declared length, and empty objects', async () => {
      const body = bytesOf(200_000, 3);
      await storage.put(
        'models/st_stream/a.safetensors',
        Readable.from([body.subarray(0, 5), body.subarray(5)]),
        {
          contentType: 'application/octet-stream',
          contentLength: body.length,
        },
      );
      await storage.put('models/st_stream/b.safetensors', Readable.from([body]), {
        contentType: 'application/octet-stream',
      });
      await storage.put('models/st_stream/empty', new Uint8Array(0), { contentType: 'text/plain' });
      expect(md5(await storage.get('models/st_stream/a.safetensors'))).toBe(md5(body));
      expect(md5(await storage.get('models/st_stream/b.safetensors'))).toBe(md5(body));
      expect((await storage.get('models/st_stream/empty')).length).toBe(0);
      expect((await storage.head('models/st_stream/empty'))?.size).toBe(0);
    });

    it('overwriting replaces content and metadata', async () => {
      const key = 'signatures/artist-over.png';
      await storage.put(key, bytesOf(10), { contentType: 'image/png', metadata: { version: '1' } });
      await storage.put(key, bytesOf(20), { contentType: 'image/png', metadata: { version: '2' } });
      expect(await storage.head(key)).toMatchObject({ size: 20, metadata: { version: '2' } });
    });

    it('missing objects: head is null, get and getStream throw STORAGE_NOT_FOUND, delete is idempotent', async () => {
      expect(await storage.head('results/missing.png')).toBeNull();
      await expectCode(storage.get('results/missing.png'), 'STORAGE_NOT_FOUND');
      await expectCode(storage.getStream('results/missing.png'), 'STORAGE_NOT_FOUND');
      await storage.delete('results/missing.png');

      await storage.put('results/deleted.png', bytesOf(5), { contentType: 'image/png' });
      await storage.delete('results/deleted.png');
      await storage.delete('results/deleted.png');
      expect(await storage.head('results/deleted.png')).toBeNull();
    });

    it('copies objects with their metadata; copying a missing object is STORAGE_NOT_FOUND', async () => {
      const from = storageKeys.upload('up_copy', 0);
      const to = storageKeys.trainingImage('st_copy', 0);
      await storage.put(from, bytesOf(1234), { contentType: 'image/jpeg', metadata: { caption: 'a cat' } });
      await storage.copy(from, to);
      expect(await storage.head(to)).toMatchObject({
        size: 1234,
        contentType: 'image/jpeg',
        metadata: { caption: 'a cat' },
      });
      await expectCode(storage.copy('uploads/none/0', 'training/none/0'), 'STORAGE_NOT_FOUND');
    });

    it('lists by prefix in key order, and sweeps old objects except kept ones', async () => {
      const keys = [
        storageKeys.upload('up_list', 2),
        storageKeys.upload('up_list', 0),
        storageKeys.upload('up_list', 1),
      ];
      for (const key of keys) await storage.put(key, bytesOf(3), { contentType: 'image/png' });
      await storage.put(storageKeys.upload('up_listx', 0), bytesOf(3), { contentType: 'image/png' });

      const listed = [];
      for await (const object of storage.list(storageKeys.uploadPrefix('up_list'))) listed.push(object);
      expect(listed.map((o) => o.key)).toEqual([
        'uploads/up_list/0',
        'uploads/up_list/1',
        'uploads/up_list/2',
      ]);
      expect(listed.every((o) => o.size === 3 && o.lastModified instanceof Date)).toBe(true);

      const none = [];
      for await (const object of storage.list('uploads/nobody/')) none.push(object);
      expect(none).toEqual([]);

      expect(
        await sweepObjects(storage, 'uploads/up_list/', { olderThan: new Date(Date.now() - 3_600_000) }),
      ).toEqual([]);
      const swept = await sweepObjects(storage, 'uploads/up_list', {
        olderThan: new Date(Date.now() + 60_000),
        keep: (key) => key === 'uploads/up_list/1',
      });
      expect(swept).toEqual(['uploads/up_list/0', 'uploads/up_list/2', 'uploads/up_listx/0']);
      expect(await storage.head('uploads/up_list/1')).not.toBeNull();
      expect(await storage.head('uploads/up_list/0')).toBeNull();
    });

    it('rejects keys outside the layout rules before touching the store', async () => {
      for (const key of ['', '/abs', '../escape', 'a/../b', 'a//b', 'a/./b', 'spaces here', 'trailing/']) {
        await expectCode(storage.put(key, bytesOf(1), { contentType: 'image/png' }), 'STORAGE_INVALID_KEY');
        await expectCode(storage.head(key), 'STORAGE_INVALID_KEY');
      }
      await expectCode(
        storage.put('results/ok.png', bytesOf(1), { contentType: 'not a type' }),
        'STORAGE_INVALID_REQUEST',
      );
      await expectCode(
        storage.put('results/ok.png', bytesOf(1), { contentType: 'image/png', metadata: { 'Bad Key': 'x' } }),
        'STORAGE_INVALID_REQUEST',
      );
      await expectCode(
        storage.presignedDownload('results/ok.png', { expiresIn: 0 }),
        'STORAGE_INVALID_REQUEST',
      );
      await expectCode(
        storage.presignedUpload('results/ok.png', { contentType: 'image/png', maxBytes: 0, expiresIn: 60 }),
        'STORAGE_INVALID_REQUEST',
      );
    });

    it('presigned upload with plain fetch, then presigned download with plain fetch', async () => {
      const key = storageKeys.upload('up_presigned', 0);
      const body = bytesOf(50_000, 11);
      const upload = await storage.presignedUpload(key, {
        contentType: 'image/png',
        maxBytes: 100_000,
        expiresIn: 300,
      });
      expect(upload.expiresAt.getTime()).toBeGreaterThan(Date.now() + 290_000);
      const response = await rawUpload(upload, body);
      expect(response.status).toBeLessThan(300);

      const info = await verifyUploadedObject(storage, key, {
        maxBytes: 100_000,
        contentTypes: ['image/png', 'image/jpeg'],
      });
      expect(info).toMatchObject({ size: body.length, contentType: 'image/png', etag: md5(body) });

      const url = await storage.presignedDownload(key, { expiresIn: 60 });
      const download = await fetch(url);
      expect(download.status).toBe(200);
      expect(download.headers.get('content-type')).toBe('image/png');
      expect(md5(Buffer.from(await download.arrayBuffer()))).toBe(md5(body));

      const named = await fetch(
        await storage.presignedDownload(key, { expiresIn: 60, downloadName: 'sunset.png' }),
      );
      expect(named.headers.get('content-disposition')).toContain('filename="sunset.png"');
      await named.body?.cancel();
    });

    it('uploadToPresignedUrl speaks the driver’s upload protocol', async () => {
      const key = storageKeys.upload('up_helper', 0);
      const upload = await storage.presignedUpload(key, {
        contentType: 'image/jpeg',
        maxBytes: 10_000,
        expiresIn: 60,
      });
      await uploadToPresignedUrl(upload, bytesOf(9_999));
      expect(await storage.head(key)).toMatchObject({ size: 9_999, contentType: 'image/jpeg' });
    });

    it('an upload over maxBytes never becomes an accepted object', async () => {
      const key = storageKeys.upload('up_oversize', 0);
      const upload = await storage.presignedUpload(key, {
        contentType: 'image/png',
        maxBytes: 1_000,
        expiresIn: 60,
      });
      const response = await rawUpload(upload, bytesOf(1_001)).catch(() => null);
      if (response !== null && response.ok) {
        // Stores that do not enforce the signed policy (s3rver): the re-check refuses and deletes it.
        await expectCode(verifyUploadedObject(storage, key, { maxBytes: 1_000 }), 'STORAGE_UPLOAD_TOO_LARGE');
      } else {
        await response?.body?.cancel();
        await expectCode(verifyUploadedObject(storage, key, { maxBytes: 1_000 }), 'STORAGE_NOT_FOUND');
      }
      expect(await storage.head(key)).toBeNull();
    });

    it('verifyUploadedObject refuses and deletes an object of the wrong content type', async () => {
      const key = storageKeys.upload('up_type', 0);
      await storage.put(key, bytesOf(10), { contentType: 'text/html' });
      await expectCode(
        verifyUploadedObject(storage, key, { maxBytes: 100, contentTypes: ['image/png'] }),
        'STORAGE_CONTENT_TYPE_MISMATCH',
      );
      expect(await storage.head(key)).toBeNull();
    });
  });
}
