// fp16 training (the GPU hosts' precision) on the CPU: the tiny model built in fp16 trains with fp32
// master weights and dynamic loss scaling, and follows the same run on the fp32 build of the same
// weights.
import { join } from 'node:path';
import { buildSyntheticModel } from '@stylelicense/diffusion';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamicLossScaler, encodeArtworks, trainLora, type EncodedArtwork, type TrainedLora } from '../src';
import { lookArtworks } from './look';

describe('dynamic loss scaling', () => {
  it('unscales finite gradients and doubles the scale after growthInterval good steps', () => {
    const scaler = new DynamicLossScaler({ initialScale: 8, growthInterval: 2 });
    const grads = [Float32Array.from([16, -8])];
    expect(scaler.unscale(grads)).toBe(true);
    expect(Array.from(grads[0]!)).toEqual([2, -1]);
    expect(scaler.scale).toBe(8);
    expect(scaler.unscale([Float32Array.from([1])])).toBe(true);
    expect(scaler.scale).toBe(16);
  });

  it('skips a step whose gradients overflowed, halves the scale and starts counting again', () => {
    const scaler = new DynamicLossScaler({ initialScale: 4, growthInterval: 2 });
    expect(scaler.unscale([Float32Array.from([1])])).toBe(true);
    expect(scaler.unscale([Float32Array.from([1, Infinity])])).toBe(false);
    expect(scaler.scale).toBe(2);
    expect(scaler.unscale([Float32Array.from([Number.NaN])])).toBe(false);
    expect(scaler.unscale([Float32Array.from([Number.NaN])])).toBe(false);
    expect(scaler.scale).toBe(1); // never below 1
    expect(scaler.unscale([Float32Array.from([1])])).toBe(true);
    expect(scaler.scale).toBe(1); // one good step since the last overflow is not two
    expect(scaler.report()).toEqual({ finalScale: 1, skippedSteps: 3 });
  });
});

const flat = (run: TrainedLora): Float32Array =>
  Float32Array.from(run.layers.flatMap((layer) => [...layer.down, ...layer.up]));
const cosine = (a: Float32Array, b: Float32Array): number => {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return dot / Math.sqrt(na * nb);
};

describe('trainLora on the fp16 tiny model', () => {
  let temp: TempDir;
  const dirs = { fp16: '', fp32: '' };
  const artworks: Record<'fp16' | 'fp32', EncodedArtwork[]> = { fp16: [], fp32: [] };
  beforeAll(async () => {
    temp = await makeTempDir('trainer-fp16');
    for (const dtype of ['fp16', 'fp32'] as const) {
      dirs[dtype] = join(temp.path, dtype);
      buildSyntheticModel({ preset: 'tiny', dir: dirs[dtype], dtype, seed: 11 });
      artworks[dtype] = await encodeArtworks(dirs[dtype], lookArtworks(3, 64, 'orangestripe'));
    }
  }, 120_000);
  afterAll(() => temp.remove());
  const options = (dtype: 'fp16' | 'fp32') => ({
    modelDir: dirs[dtype],
    artworks: artworks[dtype],
    rank: 2,
    alpha: 1,
    learningRate: 1e-2,
    steps: 9,
    seed: 5,
  });

  it('encodes artworks through the fp16 VAE and text encoder like the fp32 ones', () => {
    const [half, full] = [artworks.fp16[0]!, artworks.fp32[0]!];
    expect(half.latentShape).toEqual(full.latentShape);
    expect(cosine(half.latent, full.latent)).toBeGreaterThan(0.999);
    expect(cosine(half.context, full.context)).toBeGreaterThan(0.999);
  });

  it('trains in fp16 with fp32 master weights and follows the fp32 run of the same weights', async () => {
    const half = await trainLora(options('fp16'));
    const full = await trainLora(options('fp32'));
    expect(half.precision).toBe('fp16');
    expect(full.precision).toBe('fp32');
    expect(full.lossScale).toBeNull();
    expect(half.lossScale!.skippedSteps).toBe(0);
    // The first step's loss is the base model's (the adapter starts at zero): fp16 rounding only.
    expect(Math.abs(half.losses[0]! - full.losses[0]!) / full.losses[0]!).toBeLessThan(0.02);
    const [h, f] = [flat(half), flat(full)];
    expect(h.every(Number.isFinite)).toBe(true);
    expect(half.layers.some((layer) => layer.up.some((v) => v !== 0))).toBe(true);
    expect(cosine(h, f)).toBeGreaterThan(0.99);
  }, 300_000);

  it('asked for CUDA on a host without its provider, fails naming it and never trains on the CPU', async () => {
    const cuda = { provider: 'cuda', deviceId: 0 } as const;
    await expect(encodeArtworks(dirs.fp16, lookArtworks(1, 64, 'x'), cuda)).rejects.toMatchObject({
      code: 'CUDA_UNAVAILABLE',
    });
    const steps: number[] = [];
    const run = trainLora({ ...options('fp16'), provider: cuda, onProgress: (p) => steps.push(p.step) });
    await expect(run).rejects.toMatchObject({
      code: 'CUDA_UNAVAILABLE',
      message: expect.stringMatching(/training graph: the CUDA execution provider is required/),
    });
    expect(steps).toEqual([]);
  }, 120_000);

  it('backs off an overflowing loss scale: those steps are skipped and training goes on', async () => {
    const initialScale = 2 ** 24; // these gradients × 2²⁴ are far past fp16's largest value, 65504
    const run = await trainLora({ ...options('fp16'), lossScale: { initialScale } });
    const { skippedSteps, finalScale } = run.lossScale!;
    expect(skippedSteps).toBeGreaterThan(0);
    expect(skippedSteps).toBeLessThan(9);
    expect(finalScale).toBe(initialScale / 2 ** skippedSteps);
    expect(run.layers.some((layer) => layer.up.some((v) => v !== 0))).toBe(true);
    expect(flat(run).every(Number.isFinite)).toBe(true);
  }, 300_000);
});
