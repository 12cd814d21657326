// The embedded default trains for real: the API with its in-process queue and both worker apps
// in this process (the training worker on its default `onnx` engine, the inference worker on the
// synthetic tiny model both build under DATA_DIR). An artist creates a style from ten artworks
// through the API; it trains to `completed` with live progress, and a generation with it succeeds.
import { withTransaction } from '@stylelicense/db';
import { storageKeys } from '@stylelicense/storage';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../src/app-router';
import type { EmbeddedWorker } from '../src/embedded/workers';
import { createLogger } from '../src/logger';
import { creditWelcomeBonus } from '../src/tokens/ledger';
import { createCallerFactory } from '../src/trpc/init';
import { attachEmbeddedWorkers, startTestApi, type TestApi } from './harness';
import { addArtist, addUser, type TestUser } from './marketplace';
import { submitGeneration } from './pipeline-fixtures';

const createCaller = createCallerFactory(appRouter);
let api: TestApi;
let workers: EmbeddedWorker[] = [];

beforeAll(async () => {
  api = await startTestApi({ QUEUE_DRIVER: 'in-process', RATE_LIMIT_GENERATION: '100000/60' });
  workers = await attachEmbeddedWorkers(api);
}, 120_000);
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await api?.stop();
});

const callerFor = (user: TestUser) =>
  createCaller({
    deps: api.runtime.deps,
    log: createLogger('silent'),
    requestId: 'test',
    ip: '127.0.0.1',
    viewer: user.viewer,
  });

/** A 512×512 artwork of one look: warm orange with diagonal bands, each its own phase. */
function artwork(index: number): Promise<Buffer> {
  const size = 512;
  const pixels = Buffer.alloc(size * size * 3);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) {
      const band = Math.sin(((x + y + index * 9) / 24) * Math.PI) * 30;
      const i = (y * size + x) * 3;
      pixels[i] = Math.max(0, Math.min(255, 235 + band));
      pixels[i + 1] = Math.max(0, Math.min(255, 115 + band));
      pixels[i + 2] = Math.max(0, Math.min(255, 30 + band));
    }
  return sharp(pixels, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
}

describe('embedded default: the artist loop closes', () => {
  it('trains a style created through the API with live progress, then generates with it', async () => {
    expect(workers.map((w) => w.name).sort()).toEqual(['inference', 'training']);
    const db = api.runtime.deps.db;
    const storage = api.runtime.deps.storage;
    const artist = await addArtist(db);
    const signature = await sharp({ create: { width: 64, height: 32, channels: 4, background: '#102030' } })
      .png()
      .toBuffer();
    await storage.put(storageKeys.signature(artist.id), signature, { contentType: 'image/png' });
    const customer = await addUser(db);
    await withTransaction(db, (tx) => creditWelcomeBonus(tx, { userId: customer.id }));

    const studio = callerFor(artist);
    const { uploadId, uploads } = await studio.styles.uploadUrls({
      images: Array.from({ length: 10 }, () => ({ contentType: 'image/png' as const })),
    });
    for (const upload of uploads)
      await storage.put(upload.key, await artwork(upload.index), { contentType: 'image/png' });
    const created = await studio.styles.create({
      uploadId,
      name: `Orange Bands ${Date.now().toString(36)}`,
      description: 'Warm orange with diagonal bands',
      generationCostTokens: 5,
      licenseType: 'personal',
      tags: ['bands'],
      artworks: uploads.map((u) => ({ index: u.index, caption: `orange bands ${u.index}` })),
    });
    const createdAt = Date.now();

    const progress: { step: number; totalSteps: number }[] = [];
    await expect
      .poll(
        async () => {
          const style = await studio.styles.byId({ styleId: created.id });
          if (style.owner?.progress) progress.push(style.owner.progress);
          if (style.trainingStatus === 'failed')
            throw new Error(`training failed: ${JSON.stringify(style.owner?.failure)}`);
          return style.trainingStatus;
        },
        { timeout: 180_000, interval: 250 },
      )
      .toBe('completed');
    const trainingSeconds = (Date.now() - createdAt) / 1000;
    console.log(
      `style trained in ${trainingSeconds.toFixed(1)} s; progress seen at steps ${[...new Set(progress.map((p) => p.step))].join(', ')}`,
    );
    // The bound for ten artworks on this 2-core machine.
    expect(trainingSeconds).toBeLessThan(90);
    expect(progress.some((p) => p.step > 0 && p.step < p.totalSteps)).toBe(true);
    const trained = await studio.styles.byId({ styleId: created.id });
    expect(trained.owner?.metrics).toMatchObject({ steps: 300, finalLoss: expect.any(Number) });
    // The artist saw the style arrive: a picture per few epochs (30 epochs → every 3rd, the last
    // always), each a PNG behind an expiring link; nobody else is shown them.
    const samples = trained.owner?.trainingSamples ?? [];
    expect(samples.map((sample) => sample.epoch)).toEqual([3, 6, 9, 12, 15, 18, 21, 24, 27, 30]);
    const pictures = await Promise.all(
      samples.map(async (sample) => {
        const response = await fetch(new URL(sample.imageUrl, api.url));
        expect(response.status).toBe(200);
        return Buffer.from(await response.arrayBuffer());
      }),
    );
    expect((await sharp(pictures[0]).metadata()).format).toBe('png');
    // Training moved the adapter between the first and the last picture (same prompt, same seed).
    expect(pictures[0]!.equals(pictures.at(-1)!)).toBe(false);
    expect((await callerFor(customer).styles.byId({ styleId: created.id })).owner).toBeNull();

    const generation = await submitGeneration(api, customer.viewer, created.id);
    await expect
      .poll(async () => (await db.generation.findUniqueOrThrow({ where: { id: generation.id } })).status, {
        timeout: 120_000,
        interval: 250,
      })
      .toBe('completed');
  }, 400_000);
});
