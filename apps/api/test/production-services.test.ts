// The API on the services production uses: sliding-window counts in Redis and objects in S3
// (s3rver on loopback, spoken to by the real SDK). The other suites run on the defaults of
// MODE=test (memory counts, filesystem storage); this one keeps the production paths honest.
import { randomBytes } from 'node:crypto';
import { uploadToPresignedUrl } from '@stylelicense/storage';
import { freePort, makeTempDir, testServices, type TempDir } from '@stylelicense/test-kit';
import { Redis } from 'ioredis';
import S3rver from 's3rver';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/env';
import { createLogger } from '../src/logger';
import { startApi, type ApiRuntime } from '../src/runtime';
import { startTestApi, type TestApi } from './harness';
import { Browser } from './http-client';

let s3Dir: TempDir;
let s3: S3rver;
let api: TestApi;
let second: ApiRuntime;
const redis = new Redis(testServices.redis.url, { lazyConnect: true });

beforeAll(async () => {
  s3Dir = await makeTempDir('api-s3');
  s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: s3Dir.path });
  const { port } = await s3.run();
  const services = {
    STORAGE_DRIVER: 's3',
    S3_ENDPOINT: `http://127.0.0.1:${port}`,
    S3_BUCKET: `sl-api-${randomBytes(4).toString('hex')}`,
    S3_ACCESS_KEY_ID: 'S3RVER',
    S3_SECRET_ACCESS_KEY: 'S3RVER',
    S3_FORCE_PATH_STYLE: 'true',
    RATE_LIMIT_STORE: 'redis',
    HEALTH_DETAILS: 'true',
    REDIS_URL: testServices.redis.url,
    RATE_LIMIT_USER: '4/60',
  };
  api = await startTestApi(services);
  // A second instance of the same deployment: same database, bucket and Redis, its own port.
  const port2 = await freePort();
  const config = loadConfig({
    MODE: 'test',
    HOST: '127.0.0.1',
    PORT: String(port2),
    PUBLIC_URL: `http://127.0.0.1:${port2}`,
    DATA_DIR: api.config.DATA_DIR,
    DATABASE_URL: api.database.url,
    LOG_LEVEL: 'silent',
    ...services,
  });
  second = await startApi({ config, db: api.database.db, log: createLogger('silent') });
});

afterAll(async () => {
  await second?.stop();
  await api?.stop();
  await s3?.close();
  await s3Dir?.remove();
  redis.disconnect();
});

describe('the API with RATE_LIMIT_STORE=redis and STORAGE_DRIVER=s3', () => {
  it('reports S3 and Redis up in /api/ready', async () => {
    // Each probe has a 2 s budget a saturated machine can overrun: ask again, as a load balancer does.
    let ready!: Response;
    await expect
      .poll(async () => (ready = await fetch(`${api.url}/api/ready`)).status, {
        timeout: 30_000,
        interval: 500,
      })
      .toBe(200);
    const body = (await ready.json()) as { checks: Record<string, { status: string; driver?: string }> };
    expect(body.checks.storage).toMatchObject({ status: 'up', driver: 's3' });
    expect(body.checks.rateLimits).toMatchObject({ status: 'up' });
  });

  it("takes an artist's uploads through S3 presigned URLs and builds the style from the stored files", async () => {
    const artist = new Browser(api.url);
    const signedIn = await artist.mutate<{ userId: string }>('auth.devSignIn', { username: 's3_artist' });
    const userId = signedIn.data!.userId;
    await api.database.db.user.update({ where: { id: userId }, data: { role: 'artist' } });
    await api.database.db.artist.create({
      data: {
        userId,
        artistName: 'S3 Artist',
        signatureImage: `signatures/${userId}.png`,
        verifiedEmail: 's3@example.com',
      },
    });
    const png = await sharp({ create: { width: 600, height: 600, channels: 3, background: '#2a6' } })
      .png()
      .toBuffer();
    const urls = await artist.mutate<{
      uploadId: string;
      uploads: Array<Parameters<typeof uploadToPresignedUrl>[0] & { index: number }>;
    }>('styles.uploadUrls', { images: Array(10).fill({ contentType: 'image/png' }) });
    expect(urls.status).toBe(200);
    const { uploadId, uploads } = urls.data!;
    for (const upload of uploads) {
      expect(new URL(upload.url).host).toBe(new URL(api.config.S3_ENDPOINT!).host);
      await uploadToPresignedUrl(upload, png);
    }
    const created = await artist.mutate<{ id: string; trainingStatus: string }>('styles.create', {
      uploadId,
      name: 'Stored in S3',
      description: 'uploads through presigned S3 URLs',
      generationCostTokens: 10,
      licenseType: 'personal',
      tags: ['s3'],
      artworks: uploads.map((upload) => ({ index: upload.index })),
    });
    expect(created.status).toBe(200);
    expect(created.data!.trainingStatus).toBe('pending');
    // The uploads were read back from S3 (sniffed, sized) and kept under the style's artworks.
    const artworks = await api.database.db.artwork.findMany({ where: { styleId: created.data!.id } });
    expect(artworks).toHaveLength(10);
    for (const artwork of artworks) {
      expect(artwork).toMatchObject({ width: 600, height: 600 });
      expect((await api.runtime.deps.storage.head(artwork.image))?.size).toBe(png.length);
    }
  });

  it("counts a signed-in user's calls in Redis, so the other instance refuses what this one admitted", async () => {
    const user = new Browser(api.url);
    const signedIn = await user.mutate<{ userId: string }>('auth.devSignIn', { username: 'redis_counted' });
    const userId = signedIn.data!.userId;
    const statuses: number[] = [];
    for (let i = 0; i < 3; i++) statuses.push((await user.query('tokens.balance')).status);
    // The same session on the second instance: its fourth call is the last one the window admits.
    const elsewhere = new Browser(second.http.url);
    elsewhere.cookies.set('sl_session', user.cookies.get('sl_session')!);
    statuses.push((await elsewhere.query('tokens.balance')).status);
    statuses.push((await elsewhere.query('tokens.balance')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    const keys = await redis.keys(`*user:${userId}*`);
    expect(keys).toHaveLength(1);
    expect(await redis.zcard(keys[0]!)).toBe(4);
  });
});
