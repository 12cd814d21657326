import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signPresignedToken, storageKeys, uploadToPresignedUrl, type FilesystemStorage } from '../src';
import { expectCode, rawUpload } from './contract';
import { startFilesystemStorage } from './harness';

/** The filesystem driver's presigned-URL route: the checks S3 makes for its own URLs. */
describe('filesystem storage route', () => {
  let storage: FilesystemStorage;
  let baseUrl: string;
  let close: () => Promise<void>;

  beforeAll(async () => {
    ({ storage, baseUrl, close } = await startFilesystemStorage());
    await storage.ensureBucket();
  });
  afterAll(async () => close());

  const errorOf = async (response: Response) =>
    ((await response.json()) as { error: { code: string } }).error.code;

  it('refuses a body over maxBytes with 413 before storing anything', async () => {
    const key = storageKeys.upload('route_big', 0);
    const upload = await storage.presignedUpload(key, {
      contentType: 'image/png',
      maxBytes: 1_000,
      expiresIn: 60,
    });
    const response = await rawUpload(upload, new Uint8Array(5_000));
    expect(response.status).toBe(413);
    expect(await errorOf(response)).toBe('STORAGE_UPLOAD_TOO_LARGE');
    expect(await storage.head(key)).toBeNull();
    // The client helper turns the refusal into the typed error.
    await expectCode(uploadToPresignedUrl(upload, new Uint8Array(5_000)), 'STORAGE_UPLOAD_TOO_LARGE');
  });

  it('counts chunked bodies that declare no length and stops at maxBytes', async () => {
    const key = storageKeys.upload('route_chunked', 0);
    const upload = await storage.presignedUpload(key, {
      contentType: 'image/png',
      maxBytes: 64 * 1024,
      expiresIn: 60,
    });
    const url = new URL(upload.url);
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        url,
        { method: 'PUT', headers: { 'Content-Type': 'image/png', 'Transfer-Encoding': 'chunked' } },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      const chunk = Buffer.alloc(16 * 1024, 1);
      for (let i = 0; i < 8; i++) req.write(chunk); // 128 KiB in chunks
      req.end();
    });
    expect(status).toBe(413);
    expect(await storage.head(key)).toBeNull();
    const listed = [];
    for await (const object of storage.list('uploads/route_chunked/')) listed.push(object);
    expect(listed).toEqual([]);
  });

  it('refuses another content type (415), a tampered token, the wrong method or key (403)', async () => {
    const key = storageKeys.upload('route_rules', 0);
    const upload = await storage.presignedUpload(key, {
      contentType: 'image/png',
      maxBytes: 1_000,
      expiresIn: 60,
    });
    const wrongType = await rawUpload(upload, new Uint8Array(10), 'text/html');
    expect(wrongType.status).toBe(415);
    expect(await errorOf(wrongType)).toBe('STORAGE_CONTENT_TYPE_MISMATCH');

    const tampered = upload.url.replace(/token=(.)/, (_, c: string) => `token=${c === 'A' ? 'B' : 'A'}`);
    const forged = await fetch(tampered, {
      method: 'PUT',
      headers: { 'Content-Type': 'image/png' },
      body: new Uint8Array(10),
    });
    expect(forged.status).toBe(403);
    expect(await errorOf(forged)).toBe('STORAGE_URL_INVALID');

    const asDownload = await fetch(upload.url);
    expect(asDownload.status).toBe(403);
    await asDownload.body?.cancel();

    const otherKey = upload.url.replace('/uploads/route_rules/0', '/uploads/route_rules/1');
    const moved = await fetch(otherKey, {
      method: 'PUT',
      headers: { 'Content-Type': 'image/png' },
      body: new Uint8Array(10),
    });
    expect(moved.status).toBe(403);
    await moved.body?.cancel();
    expect(await storage.head(key)).toBeNull();
  });

  it('refuses expired URLs with STORAGE_URL_EXPIRED', async () => {
    const key = 'results/expired.png';
    await storage.put(key, new Uint8Array([1, 2, 3]), { contentType: 'image/png' });
    const url = await storage.presignedDownload(key, { expiresIn: 60 });
    const token = new URL(url).searchParams.get('token');
    expect(() =>
      storage.verifyToken(token, { method: 'GET', key, now: new Date(Date.now() + 61_000) }),
    ).toThrow(expect.objectContaining({ code: 'STORAGE_URL_EXPIRED' }));
    // A token that expired a second ago, signed with the same scheme, over HTTP.
    const secret = (storage as unknown as { secret: Uint8Array }).secret;
    const stale = signPresignedToken(secret, {
      method: 'GET',
      key,
      expiresAt: Math.floor(Date.now() / 1000) - 1,
    });
    const response = await fetch(`${baseUrl}/${key}?token=${stale}`);
    expect(response.status).toBe(403);
    expect(await errorOf(response)).toBe('STORAGE_URL_EXPIRED');
  });

  it('serves downloads with safe headers, conditional GET and HEAD', async () => {
    const key = 'results/served.png';
    const put = await storage.put(key, Buffer.from('not really a png'), { contentType: 'image/png' });
    const url = await storage.presignedDownload(key, { expiresIn: 120 });
    const response = await fetch(url);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('content-security-policy')).toContain('sandbox');
    expect(response.headers.get('cache-control')).toMatch(/^private, max-age=1[12]\d$/);
    expect(response.headers.get('etag')).toBe(`"${put.etag}"`);
    expect(await response.text()).toBe('not really a png');

    const again = await fetch(url, { headers: { 'If-None-Match': `"${put.etag}"` } });
    expect(again.status).toBe(304);
    const head = await fetch(url, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-length')).toBe('16');

    const missing = await fetch(await storage.presignedDownload('results/none.png', { expiresIn: 60 }));
    expect(missing.status).toBe(404);
    expect(await errorOf(missing)).toBe('STORAGE_NOT_FOUND');
  });

  it('never resolves a key outside the root', async () => {
    const response = await fetch(`${baseUrl}/..%2F..%2Fetc%2Fpasswd?token=x`);
    expect(response.status).toBe(400);
    expect(await errorOf(response)).toBe('STORAGE_INVALID_KEY');
    await expectCode(storage.get('training/../../etc/passwd'), 'STORAGE_INVALID_KEY');
  });
});
