import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3Storage, storageKeys } from '../src';
import { expectCode } from './contract';
import { startS3Storage } from './harness';

describe('S3 driver specifics', () => {
  let harness: Awaited<ReturnType<typeof startS3Storage>>;

  beforeAll(async () => {
    harness = await startS3Storage();
    await harness.storage.ensureBucket();
  });
  afterAll(async () => harness.close());

  it('signs a POST policy that pins key, content type and the size range', async () => {
    const key = storageKeys.upload('policy', 3);
    const upload = await harness.storage.presignedUpload(key, {
      contentType: 'image/jpeg',
      maxBytes: 10_485_760,
      expiresIn: 900,
    });
    if (upload.method !== 'POST') throw new Error('S3 uploads are POST forms');
    expect(upload.url).toBe(`${harness.endpoint}/${harness.bucket}`);
    expect(upload.fields).toMatchObject({
      key,
      'Content-Type': 'image/jpeg',
      'X-Amz-Algorithm': 'AWS4-HMAC-SHA256',
    });
    const policy = JSON.parse(Buffer.from(upload.fields.Policy!, 'base64').toString('utf8')) as {
      expiration: string;
      conditions: unknown[];
    };
    expect(policy.conditions).toContainEqual(['content-length-range', 1, 10_485_760]);
    expect(policy.conditions).toContainEqual(['eq', '$Content-Type', 'image/jpeg']);
    expect(policy.conditions).toContainEqual({ key });
    expect(policy.conditions).toContainEqual({ bucket: harness.bucket });
    const expiresIn = (Date.parse(policy.expiration) - Date.now()) / 1000;
    expect(expiresIn).toBeGreaterThan(890);
    expect(expiresIn).toBeLessThanOrEqual(900);
  });

  it('signs URLs for the public endpoint when one is configured', async () => {
    const storage = new S3Storage({
      bucket: harness.bucket,
      region: 'us-east-1',
      endpoint: harness.endpoint,
      publicEndpoint: 'https://files.example.com',
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    const url = new URL(await storage.presignedDownload('results/g1.png', { expiresIn: 60 }));
    expect(url.origin).toBe('https://files.example.com');
    expect(url.pathname).toBe(`/${harness.bucket}/results/g1.png`);
    expect(url.searchParams.get('X-Amz-Expires')).toBe('60');
    storage.destroy();
  });

  it('maps an unreachable store to a retryable STORAGE_UNAVAILABLE, and health to ok: false', async () => {
    const down = new S3Storage({
      bucket: 'sl-down',
      region: 'us-east-1',
      endpoint: 'http://127.0.0.1:9', // discard port: nothing listens
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      maxAttempts: 1,
      connectionTimeoutMs: 1_000,
    });
    await expect(down.get('results/x.png')).rejects.toMatchObject({
      code: 'STORAGE_UNAVAILABLE',
      retryable: true,
    });
    const health = await down.checkHealth();
    expect(health).toMatchObject({ ok: false });
    down.destroy();
  });

  it('maps a missing bucket to STORAGE_UNAVAILABLE until ensureBucket creates it', async () => {
    const storage = new S3Storage({
      bucket: `${harness.bucket}-late`,
      region: 'us-east-1',
      endpoint: harness.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      maxAttempts: 1,
    });
    await expectCode(
      storage.put('results/a.png', new Uint8Array(1), { contentType: 'image/png' }),
      'STORAGE_UNAVAILABLE',
    );
    expect((await storage.checkHealth()).ok).toBe(false);
    await storage.ensureBucket();
    await storage.put('results/a.png', new Uint8Array(1), { contentType: 'image/png' });
    expect((await storage.checkHealth()).ok).toBe(true);
    storage.destroy();
  });

  it('lists across pages', async () => {
    const paged = new S3Storage({
      bucket: harness.bucket,
      region: 'us-east-1',
      endpoint: harness.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      listPageSize: 2,
    });
    for (let n = 0; n < 5; n++)
      await paged.put(storageKeys.upload('paged', n), new Uint8Array([n]), { contentType: 'image/png' });
    const keys: string[] = [];
    for await (const object of paged.list('uploads/paged/')) keys.push(object.key);
    expect(keys).toEqual([0, 1, 2, 3, 4].map((n) => `uploads/paged/${n}`));
    paged.destroy();
  });

  it('refuses bucket names S3 would refuse', () => {
    expect(() => new S3Storage({ bucket: 'ab', region: 'us-east-1' })).toThrow(
      expect.objectContaining({ code: 'STORAGE_INVALID_REQUEST' }),
    );
  });
});
