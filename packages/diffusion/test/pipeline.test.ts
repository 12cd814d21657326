import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiffusionEngine, type DiffusionLogger, type GenerateRequest, type GenerationProgress } from '../src';
import {
  buildTinyModel,
  kohyaLora,
  maxPixelDifference,
  meanPixelDifference,
  peftLora,
  randomLoraWeights,
  tinyLoraLayers,
  writePremergedModel,
  type LoraWeights,
} from './pipeline-fixtures';
import { dimensionsFor } from '@stylelicense/contracts';

const tempDir = await makeTempDir('pipeline');
const root = tempDir.path;
let modelDir = '';
let engine: DiffusionEngine;
const logged: string[] = [];
const logger: DiffusionLogger = {
  info: (message) => logged.push(message),
  warn: (message) => logged.push(message),
};

const request = (overrides: Partial<GenerateRequest> = {}): GenerateRequest => ({
  modelDir,
  prompt: 'a watercolor fox in the snow',
  negativePrompt: 'blurry',
  width: 64,
  height: 64,
  steps: 3,
  guidanceScale: 7.5,
  seed: 42,
  ...overrides,
});

beforeAll(() => {
  modelDir = buildTinyModel(join(root, 'tiny'));
  engine = new DiffusionEngine({ provider: { provider: 'cpu' }, logger });
});

afterAll(async () => {
  await engine?.close();
  await tempDir.remove();
});

describe('text to image on the tiny model', () => {
  it('produces an RGB image of the requested size and says where it ran', async () => {
    const image = await engine.generate(request({ width: 64, height: 96 }));
    expect(image).toMatchObject({ width: 64, height: 96, channels: 3, provider: 'cpu', seed: 42, steps: 3 });
    expect(image.pixels).toBeInstanceOf(Uint8Array);
    expect(image.pixels.length).toBe(64 * 96 * 3);
    // Not a flat colour: the VAE decoded a real latent.
    expect(new Set(image.pixels).size).toBeGreaterThan(16);
    expect(logged).toContain('onnxruntime execution provider: cpu');
  });

  it('renders the product sizes: 1:1 = 512×512, 2:2 = 1024×1024, 1:2 = 512 wide × 1024 tall', async () => {
    expect(dimensionsFor('1:1')).toEqual({ width: 512, height: 512 });
    expect(dimensionsFor('2:2')).toEqual({ width: 1024, height: 1024 });
    expect(dimensionsFor('1:2')).toEqual({ width: 512, height: 1024 });
    for (const ratio of ['1:1', '2:2', '1:2'] as const) {
      const size = dimensionsFor(ratio);
      // One unguided step keeps this quick; the sizes are what is under test.
      const image = await engine.generate(request({ ...size, steps: 1, guidanceScale: 0 }));
      expect([image.width, image.height]).toEqual([size.width, size.height]);
      expect(image.pixels.length).toBe(size.width * size.height * 3);
    }
  }, 120_000);

  it('gives the same pixels for the same seed and different pixels for another seed', async () => {
    const a = await engine.generate(request());
    const b = await engine.generate(request());
    const c = await engine.generate(request({ seed: 43 }));
    expect(Buffer.from(a.pixels).equals(Buffer.from(b.pixels))).toBe(true);
    expect(meanPixelDifference(a.pixels, c.pixels)).toBeGreaterThan(1);
  });

  it('runs every scheduler, and without guidance (turbo/LCM one step)', async () => {
    for (const scheduler of ['euler-ancestral', 'dpmpp-2m', 'dpmpp-2m-karras', 'lcm'] as const) {
      const image = await engine.generate(request({ scheduler, steps: 2 }));
      expect(image.scheduler).toBe(scheduler);
      expect(image.pixels.length).toBe(64 * 64 * 3);
    }
    const turbo = await engine.generate(request({ scheduler: 'lcm', steps: 1, guidanceScale: 0 }));
    expect(turbo.steps).toBe(1);
  });

  it('runs fp16 models, converting inputs and outputs by the session metadata', async () => {
    const fp16Dir = buildTinyModel(join(root, 'tiny-fp16'), 'fp16');
    const full = await engine.generate(request());
    const half = await engine.generate(request({ modelDir: fp16Dir }));
    expect(half.pixels.length).toBe(full.pixels.length);
    // Same weights rounded to half precision: nearly the same picture (another seed differs by ~60).
    expect(meanPixelDifference(full.pixels, half.pixels)).toBeLessThan(1);
  });

  it('uses the prompt: another prompt gives another image', async () => {
    const a = await engine.generate(request());
    const b = await engine.generate(request({ prompt: 'an oil painting of a lighthouse' }));
    expect(meanPixelDifference(a.pixels, b.pixels)).toBeGreaterThan(0.5);
  });

  it('reports progress once per step, in order, ending at 100 %', async () => {
    const events: GenerationProgress[] = [];
    await engine.generate(request({ steps: 5 }), { onProgress: (p) => events.push(p) });
    expect(events.map((e) => e.step)).toEqual([1, 2, 3, 4, 5]);
    expect(events.every((e) => e.totalSteps === 5 && e.etaSeconds >= 0)).toBe(true);
    expect(events.map((e) => e.percent)).toEqual([20, 40, 60, 80, 100]);
    expect(events.at(-1)!.etaSeconds).toBe(0);
  });

  it('stops with CANCELLED when the signal aborts mid-run, or before it starts', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const run = engine.generate(request({ steps: 10 }), {
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p.step);
        if (p.step === 2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED', retryable: false });
    expect(seen).toEqual([1, 2]);
    await expect(engine.generate(request(), { signal: AbortSignal.abort() })).rejects.toMatchObject({
      code: 'CANCELLED',
    });
  });

  it('rejects bad requests with INVALID_INPUT', async () => {
    await expect(engine.generate(request({ width: 100 }))).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      retryable: false,
    });
    await expect(engine.generate(request({ steps: 0 }))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    await expect(engine.generate(request({ seed: -5 }))).rejects.toMatchObject({ code: 'INVALID_INPUT' });
  });
});

describe('LoRA styles', () => {
  let weights: LoraWeights[] = [];
  let kohyaFile = '';
  let peftFile = '';

  beforeAll(async () => {
    const layers = await tinyLoraLayers(modelDir);
    expect(layers.filter((l) => l.in !== l.out).length).toBeGreaterThan(0);
    expect(layers.some((l) => l.conv)).toBe(true);
    weights = randomLoraWeights(11, layers);
    kohyaFile = join(root, 'style-kohya.safetensors');
    peftFile = join(root, 'style-peft.safetensors');
    await writeFile(kohyaFile, kohyaLora(weights));
    await writeFile(peftFile, peftLora(weights));
  });

  it('changes the output, and merging at load matches a model merged beforehand', async () => {
    const plain = await engine.generate(request());
    const styled = await engine.generate(request({ lora: { path: kohyaFile, strength: 0.8 } }));
    expect(meanPixelDifference(plain.pixels, styled.pixels)).toBeGreaterThan(1);

    const premergedDir = join(root, 'tiny-premerged');
    await writePremergedModel(modelDir, premergedDir, weights, 0.8);
    const premerged = await engine.generate(request({ modelDir: premergedDir }));
    expect(maxPixelDifference(styled.pixels, premerged.pixels)).toBeLessThanOrEqual(2);
    expect(meanPixelDifference(styled.pixels, premerged.pixels)).toBeLessThan(0.05);
  });

  it('maps kohya and diffusers/PEFT keys to the same weights', async () => {
    const kohya = await engine.generate(request({ lora: { path: kohyaFile, strength: 1 } }));
    const peft = await engine.generate(request({ lora: { path: peftFile, strength: 1 } }));
    expect(maxPixelDifference(kohya.pixels, peft.pixels)).toBeLessThanOrEqual(1);
  });

  it('merges into fp16 weights too (an fp16 model with the LoRA matches the fp32 one)', async () => {
    const fp16Dir = buildTinyModel(join(root, 'tiny-fp16-lora'), 'fp16');
    const lora = { path: peftFile, strength: 1 };
    const full = await engine.generate(request({ lora }));
    const half = await engine.generate(request({ modelDir: fp16Dir, lora }));
    expect(meanPixelDifference(full.pixels, half.pixels)).toBeLessThan(1);
  });

  it('scales with strength: 0 is the plain model', async () => {
    const plain = await engine.generate(request());
    const zero = await engine.generate(request({ lora: { path: peftFile, strength: 0 } }));
    expect(maxPixelDifference(plain.pixels, zero.pixels)).toBeLessThanOrEqual(1);
  });

  it('refuses bad LoRA files with a permanent LORA_INVALID', async () => {
    const garbage = join(root, 'garbage.safetensors');
    await writeFile(garbage, Buffer.from('definitely not a safetensors file'));
    await expect(engine.generate(request({ lora: { path: garbage, strength: 1 } }))).rejects.toMatchObject({
      code: 'LORA_INVALID',
      retryable: false,
    });
    await expect(
      engine.generate(request({ lora: { path: join(root, 'missing.safetensors'), strength: 1 } })),
    ).rejects.toMatchObject({ code: 'LORA_INVALID' });
    // Keys of another architecture (SDXL's extra blocks) match nothing here.
    const foreign = join(root, 'foreign.safetensors');
    await writeFile(
      foreign,
      kohyaLora(
        randomLoraWeights(3, [
          {
            component: 'unet',
            module: 'down_blocks.2.attentions.1.transformer_blocks.9.attn1.to_q',
            out: 32,
            in: 32,
          },
        ]),
      ),
    );
    await expect(engine.generate(request({ lora: { path: foreign, strength: 1 } }))).rejects.toMatchObject({
      code: 'LORA_INVALID',
      message: expect.stringMatching(/match no (weight|projection)/),
    });
  });
});

describe('model problems are clear, permanent errors', () => {
  it('a missing model folder is MODEL_NOT_FOUND', async () => {
    await expect(engine.generate(request({ modelDir: join(root, 'nope') }))).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      retryable: false,
    });
  });

  it('a missing component file is MODEL_NOT_FOUND', async () => {
    const dir = buildTinyModel(join(root, 'tiny-missing'));
    await rm(join(dir, 'vae_decoder', 'model.onnx'));
    await expect(engine.generate(request({ modelDir: dir }))).rejects.toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: expect.stringMatching(/vae_decoder/),
    });
  });

  it('a corrupt ONNX file is MODEL_INVALID', async () => {
    const dir = buildTinyModel(join(root, 'tiny-corrupt'));
    await writeFile(join(dir, 'unet', 'model.onnx'), Buffer.from('\x08\x07garbage that is not protobuf'));
    await expect(engine.generate(request({ modelDir: dir }))).rejects.toMatchObject({
      code: 'MODEL_INVALID',
      retryable: false,
    });
  });

  it('a broken scheduler config is MODEL_INVALID', async () => {
    const dir = buildTinyModel(join(root, 'tiny-scheduler'));
    await writeFile(join(dir, 'scheduler', 'scheduler_config.json'), '{ not json');
    await expect(engine.generate(request({ modelDir: dir }))).rejects.toMatchObject({
      code: 'MODEL_INVALID',
    });
  });
});

describe('execution provider', () => {
  it('never falls back to the CPU when CUDA is required', async () => {
    const cuda = new DiffusionEngine({ provider: { provider: 'cuda', deviceId: 0 }, logger });
    try {
      const image = await cuda.generate(request({ steps: 1 }));
      // Only on a host with a working CUDA provider.
      expect(image.provider).toBe('cuda:0');
    } catch (error) {
      expect(error).toMatchObject({ code: 'CUDA_UNAVAILABLE', retryable: false });
    } finally {
      await cuda.close();
    }
  });
});

describe('session cache', () => {
  it('merging (the reference path) keeps sessions per model, LoRA and strength within the budget, least recently used out', async () => {
    const lora = join(root, 'cache-style.safetensors');
    await writeFile(lora, peftLora(randomLoraWeights(5, await tinyLoraLayers(modelDir))));
    // The tiny model is ~4 MB: room for the shared components plus roughly one LoRA'd UNet.
    const small = new DiffusionEngine({ cacheBudgetBytes: 8 * 1024 ** 2, lora: { mode: 'merge' }, logger });
    try {
      await small.preload(modelDir);
      expect(small.cachedSessions).toHaveLength(3);
      await small.preload(modelDir, { path: lora, strength: 1 });
      const keys = small.cachedSessions;
      expect(keys.filter((k) => k.includes('|unet|') && k.endsWith('@1'))).toHaveLength(1);
      expect(keys.filter((k) => k.includes('|text_encoder|') && k.endsWith('@1'))).toHaveLength(1);
      await small.preload(modelDir, { path: lora, strength: 0.5 });
      const after = small.cachedSessions;
      expect(after.some((k) => k.endsWith('@0.5'))).toBe(true);
      // Over budget: the strength-1 sessions (least recently used) were released.
      expect(after.some((k) => k.includes('|unet|') && k.endsWith('@1'))).toBe(false);
      // And a released combination loads again on demand.
      const image = await small.generate(request({ lora: { path: lora, strength: 1 } }));
      expect(image.pixels.length).toBe(64 * 64 * 3);
    } finally {
      await small.close();
    }
  });
});
