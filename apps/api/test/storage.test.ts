import { storageKeys, uploadToPresignedUrl } from '@stylelicense/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ HEALTH_DETAILS: 'true' });
});
afterAll(() => api.stop());

describe('storage wiring', () => {
  it('reports the storage in /api/ready', async () => {
    const body = (await (await fetch(`${api.url}/api/ready`)).json()) as { checks: Record<string, unknown> };
    expect(body.checks.storage).toMatchObject({ status: 'up', driver: 'filesystem' });
  });

  it("serves the filesystem driver's presigned PUT and GET through the API", async () => {
    const { storage } = api.runtime.deps;
    const key = storageKeys.upload('wiring-test', 0);
    const upload = await storage.presignedUpload(key, {
      contentType: 'image/png',
      maxBytes: 1024,
      expiresIn: 60,
    });
    expect(upload.url.startsWith(`${api.url}/api/storage/`)).toBe(true);
    await uploadToPresignedUrl(upload, new Uint8Array([1, 2, 3]));
    const download = await storage.presignedDownload(key, { expiresIn: 60 });
    const response = await fetch(download);
    expect(response.status).toBe(200);
    expect(new Uint8Array(await response.arrayBuffer())).toEqual(new Uint8Array([1, 2, 3]));
    expect((await fetch(download.replace(/token=[^&]+/, 'token=forged'))).status).toBe(403);
  });
});
