import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWebhookSecret } from '@stylelicense/contracts';
import { seedDemoData } from '@stylelicense/db';
import { createTestDatabase, type TestDatabase } from '@stylelicense/db/testing';
import { DiffusionEngine, readLoraFile } from '@stylelicense/diffusion';
import {
  developmentProvenanceKey,
  provenanceSigner,
  readStampMetadata,
  verifySignatureImage,
} from '@stylelicense/imaging';
import { createStorage, type ObjectStorage } from '@stylelicense/storage';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareEmbeddedDemo } from '../src/embedded/demo';
import { createLogger } from '../src/logger';
import type { DemoAssetsReport } from '../src/embedded/demo-assets';

// The embedded demo end to end on the storage side: a freshly seeded database, the real glue
// (the inference worker app's LoRA maker loaded from the checkout, the tiny model built under a
// temporary DATA_DIR), filesystem storage, then every file the seeded rows name is checked.
let testDb: TestDatabase;
let dataDir: string;
let storage: ObjectStorage;
let first: DemoAssetsReport;
const engine = new DiffusionEngine({ logger: { info: () => {}, warn: () => {} } });

const prepare = () =>
  prepareEmbeddedDemo({
    db: testDb.db,
    storage,
    dataDir,
    apiUrl: 'http://127.0.0.1:1',
    webhookSecrets: { training: generateWebhookSecret(), inference: generateWebhookSecret() },
    log: createLogger('silent'),
    provenance: provenanceSigner(developmentProvenanceKey(dataDir).privateKey),
  });

beforeAll(async () => {
  testDb = await createTestDatabase({ poolSize: 2 });
  expect(await seedDemoData(testDb.db)).not.toBeNull();
  dataDir = await mkdtemp(join(tmpdir(), 'sl-demo-assets-'));
  storage = createStorage({
    driver: 'filesystem',
    root: join(dataDir, 'storage'),
    publicBaseUrl: 'http://127.0.0.1:1/api/storage',
    signingSecret: randomBytes(32),
  });
  first = await prepare();
}, 120_000);
afterAll(async () => {
  await engine.close();
  await testDb?.drop();
  if (dataDir) await rm(dataDir, { recursive: true, force: true });
});

describe('embedded demo assets', () => {
  it('writes every file the seeded rows name, in a few seconds', async () => {
    const db = testDb.db;
    const artists = await db.artist.findMany();
    const styles = await db.style.findMany();
    const generations = await db.generation.findMany({ where: { resultImage: { not: null } } });
    const keys = [
      ...artists.map((a) => a.signatureImage),
      ...styles.flatMap((s) => [s.thumbnail, s.modelPath]),
      ...generations.map((g) => g.resultImage),
    ];
    expect(keys.length).toBeGreaterThan(20);
    for (const key of keys) {
      expect(key, 'every seeded key is set').toBeTruthy();
      expect(await storage.head(key!), key!).not.toBeNull();
    }
    expect(first.created).toEqual({
      signatures: artists.length,
      loras: styles.length,
      thumbnails: styles.length,
      results: generations.length,
    });
    expect(first.skipped).toEqual([]);
    console.log(`demo assets: ${keys.length} objects in ${first.ms} ms (tiny model build included)`);
    expect(first.ms).toBeLessThan(15_000);
  });

  it('gives each demo artist a signature that passes the upload check', async () => {
    for (const artist of await testDb.db.artist.findMany()) {
      const verified = await verifySignatureImage(await storage.get(artist.signatureImage));
      expect(verified.width).toBeGreaterThanOrEqual(64);
    }
  });

  it('signs every seeded result with its artist, style and generation', async () => {
    const generations = await testDb.db.generation.findMany({
      where: { resultImage: { not: null } },
      include: { style: { include: { artist: true } } },
    });
    for (const generation of generations) {
      const bytes = await storage.get(generation.resultImage!);
      expect(await readStampMetadata(bytes)).toMatchObject({
        artist: generation.style.artist.artistName,
        artistId: generation.style.artistId,
        style: generation.style.name,
        styleId: generation.styleId,
        generationId: generation.id,
        license: generation.style.licenseType,
      });
      const { width, height } = await sharp(bytes).metadata();
      expect([width, height]).toEqual(generation.aspectRatio === 'portrait' ? [512, 1024] : [512, 512]);
    }
    for (const style of await testDb.db.style.findMany()) {
      const { width, height } = await sharp(await storage.get(style.thumbnail!)).metadata();
      expect([width, height]).toEqual([512, 512]);
    }
  });

  it("gives each demo style a LoRA that loads and visibly changes the tiny model's image", async () => {
    const modelDir = join(dataDir, 'models', 'tiny');
    const request = {
      modelDir,
      prompt: 'a lighthouse at dusk',
      width: 64,
      height: 64,
      steps: 2,
      guidanceScale: 1,
      seed: 42,
    };
    const plain = (await engine.generate(request)).pixels;
    const images: Uint8Array[] = [];
    for (const style of await testDb.db.style.findMany({ orderBy: { id: 'asc' } })) {
      const path = join(dataDir, `${style.id}.safetensors`);
      await writeFile(path, await storage.get(style.modelPath!));
      const adapter = await readLoraFile(path);
      expect(adapter.format).toBe('kohya');
      expect(adapter.layers.length).toBeGreaterThan(0);
      expect(adapter.layers.every((layer) => layer.rank === 4)).toBe(true);
      const styled = (await engine.generate({ ...request, lora: { path, strength: 1 } })).pixels;
      const change = meanAbsoluteDifference(plain, styled);
      console.log(`${style.name}: mean |Δ| ${change.toFixed(1)} / 255`);
      expect(change, `${style.name} changes the image`).toBeGreaterThan(3);
      images.push(styled);
    }
    // Each style its own look, not one shared change.
    expect(meanAbsoluteDifference(images[0]!, images[1]!)).toBeGreaterThan(3);
  }, 60_000);

  it('creates nothing on a second run', async () => {
    const { resultImage } = await testDb.db.generation.findFirstOrThrow({
      where: { resultImage: { not: null } },
    });
    const before = await storage.head(resultImage!);
    const second = await prepare();
    expect(second.created).toEqual({ signatures: 0, loras: 0, thumbnails: 0, results: 0 });
    expect(second.present).toBe(Object.values(first.created).reduce((sum, n) => sum + n, 0));
    const after = await storage.head(before!.key);
    expect(after?.etag).toBe(before?.etag);
    console.log(`demo assets, second start: ${second.present} objects checked in ${second.ms} ms`);
  });

  it('writes back only what went missing', async () => {
    const style = await testDb.db.style.findFirstOrThrow({ orderBy: { id: 'asc' } });
    await storage.delete(style.modelPath!);
    const third = await prepare();
    expect(third.created).toEqual({ signatures: 0, loras: 1, thumbnails: 0, results: 0 });
    expect(await storage.head(style.modelPath!)).not.toBeNull();
  });
});

function meanAbsoluteDifference(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}
