// Many styles from one session: a batch of different styles gives each item the image it would get
// alone, switching styles creates no session, and one item's failure or cancellation is its own.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiffusionEngine, type GenerateRequest, type GeneratedImage } from '../src/pipeline';
import type { DiffusionLogger } from '../src/pipeline/execution-provider';
import {
  buildTinyModel,
  kohyaLora,
  maxPixelDifference,
  peftLora,
  randomLoraWeights,
  tinyLoraLayers,
} from './pipeline-fixtures';

const tempDir = await makeTempDir('style-batching');
const root = tempDir.path;
let modelDir = '';
const styles: string[] = [];
const batches: number[] = [];
const logger: DiffusionLogger = {
  info: (message, fields) => {
    if (message === 'ran a batch') batches.push(fields!.images as number);
  },
  warn: () => {},
};
let engine: DiffusionEngine;

const request = (seed: number, lora?: GenerateRequest['lora']): GenerateRequest => ({
  modelDir,
  prompt: 'a lighthouse at dusk',
  negativePrompt: 'blurry',
  width: 64,
  height: 64,
  steps: 3,
  guidanceScale: 6,
  seed,
  ...(lora ? { lora } : {}),
});

beforeAll(async () => {
  modelDir = buildTinyModel(join(root, 'tiny'));
  const layers = await tinyLoraLayers(modelDir); // UNet attention + proj_in, and a text encoder projection
  for (let i = 0; i < 3; i++) {
    const file = join(root, `style-${i}.safetensors`);
    const weights = randomLoraWeights(100 + i, layers, 0.5, 2 + 2 * i);
    await writeFile(file, i % 2 === 0 ? kohyaLora(weights) : peftLora(weights));
    styles.push(file);
  }
  engine = new DiffusionEngine({ logger, lora: { maxRank: 8 }, batch: { maxItems: 8, windowMs: 20 } });
});

afterAll(async () => {
  await engine.close();
  await tempDir.remove();
});

describe('different styles in one batch', () => {
  it('gives each of N items (N styles, one without) the image it gets alone', async () => {
    const requests = [
      request(1, { path: styles[0]!, strength: 1 }),
      request(2, { path: styles[1]!, strength: 0.7 }),
      request(3),
      request(4, { path: styles[2]!, strength: 1.2 }),
    ];
    const alone: GeneratedImage[] = [];
    for (const r of requests) alone.push(await engine.generate(r));
    batches.length = 0;
    const together = await Promise.all(requests.map((r) => engine.generate(r)));
    expect(batches).toEqual([4]);
    together.forEach((image, i) =>
      expect(maxPixelDifference(image.pixels, alone[i]!.pixels)).toBeLessThanOrEqual(1),
    );
    // The styles matter: the same seed without its style is another image.
    const plain = await engine.generate(request(1));
    expect(maxPixelDifference(plain.pixels, alone[0]!.pixels)).toBeGreaterThan(10);
  });

  it('switches styles without creating a session, decoding each file once', async () => {
    await engine.preload(modelDir);
    const sessions = [...engine.cachedSessions].sort();
    expect(sessions).toHaveLength(3); // text encoder, UNet, VAE decoder of the one folder
    const before = engine.styles.loads;
    for (const [i, path] of [...styles, ...styles].entries())
      await engine.generate(request(i, { path, strength: 1 }));
    expect([...engine.cachedSessions].sort()).toEqual(sessions);
    expect(engine.styles.loads - before).toBeLessThanOrEqual(styles.length);
    expect(engine.styles.held).toBe(styles.length);
  });

  it('fails a bad LoRA alone; the rest of its batch completes', async () => {
    const garbage = join(root, 'garbage.safetensors');
    await writeFile(garbage, 'not a safetensors file');
    const good = request(7, { path: styles[1]!, strength: 1 });
    const expected = await engine.generate(good);
    batches.length = 0;
    const [bad, ok] = await Promise.allSettled([
      engine.generate(request(8, { path: garbage, strength: 1 })),
      engine.generate(good),
    ]);
    expect(bad).toMatchObject({ status: 'rejected', reason: { code: 'LORA_INVALID', retryable: false } });
    expect(ok.status).toBe('fulfilled');
    expect(
      maxPixelDifference((ok as PromiseFulfilledResult<GeneratedImage>).value.pixels, expected.pixels),
    ).toBeLessThanOrEqual(1);
  });

  it('cancels one item of a batch; the others finish with their own progress', async () => {
    const controller = new AbortController();
    const progress: number[][] = [[], []];
    const results = await Promise.allSettled([
      engine.generate(request(11, { path: styles[0]!, strength: 1 }), {
        signal: controller.signal,
        onProgress: (p) => {
          progress[0]!.push(p.step);
          controller.abort();
        },
      }),
      engine.generate(request(12, { path: styles[2]!, strength: 1 }), {
        onProgress: (p) => progress[1]!.push(p.step),
      }),
    ]);
    expect(results[0]).toMatchObject({ status: 'rejected', reason: { code: 'CANCELLED' } });
    expect(results[1].status).toBe('fulfilled');
    expect(progress[0]).toEqual([1]);
    expect(progress[1]).toEqual([1, 2, 3]);
  });
});
