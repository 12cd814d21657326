// The training loop's parts: objective, optimizer, schedule, and on the tiny model determinism,
// cancellation between steps, and an artifact the inference side reads as a kohya LoRA.
import { join } from 'node:path';
import { buildSyntheticModel, readLoraFile } from '@stylelicense/diffusion';
import { readSafetensorsHeader } from '@stylelicense/safetensors';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AdamW,
  clipGradients,
  encodeArtworks,
  learningRateAt,
  noisedExample,
  TrainingCancelledError,
  trainLora,
  writeKohyaLora,
  type EncodedArtwork,
} from '../src';
import { lookArtworks } from './look';

describe('objective', () => {
  const x0 = Float32Array.from([1, -2]);
  const eps = Float32Array.from([0.5, 0.25]);
  it('noises x₀ and targets ε, or v for v-prediction', () => {
    const e = noisedExample(x0, eps, 0.64, 'epsilon', null);
    expect(Array.from(e.noisy)).toEqual([0.8 * 1 + 0.6 * 0.5, 0.8 * -2 + 0.6 * 0.25].map(Math.fround));
    expect(Array.from(e.target)).toEqual(Array.from(eps));
    expect(e.weight).toBe(1);
    const v = noisedExample(x0, eps, 0.64, 'v_prediction', null);
    expect(Array.from(v.target)).toEqual([0.8 * 0.5 - 0.6 * 1, 0.8 * 0.25 - 0.6 * -2].map(Math.fround));
  });
  it('weights by min-SNR-γ', () => {
    // ᾱ = 0.9 → SNR 9; γ = 5 caps it.
    expect(noisedExample(x0, eps, 0.9, 'epsilon', 5).weight).toBeCloseTo(5 / 9, 6);
    expect(noisedExample(x0, eps, 0.9, 'v_prediction', 5).weight).toBeCloseTo(5 / 10, 6);
    // ᾱ = 0.5 → SNR 1 under γ: ε weight 1.
    expect(noisedExample(x0, eps, 0.5, 'epsilon', 5).weight).toBeCloseTo(1, 6);
  });
});

describe('optimizer and schedule', () => {
  it('AdamW moves against the gradient by about the learning rate, and decays weights', () => {
    const p = Float32Array.from([1, -1]);
    const adam = new AdamW([p], { learningRate: 0.1, weightDecay: 0 });
    adam.update([Float32Array.from([2, -3])], 0.1);
    expect(p[0]).toBeCloseTo(0.9, 5);
    expect(p[1]).toBeCloseTo(-0.9, 5);
    const q = Float32Array.from([1]);
    new AdamW([q], { learningRate: 0.1, weightDecay: 0.5 }).update([Float32Array.from([0])], 0.1);
    expect(q[0]).toBeCloseTo(0.95, 6);
  });
  it('warms up linearly, then decays along a cosine to zero', () => {
    expect(learningRateAt(0, 1, 10, 110)).toBeCloseTo(0.1);
    expect(learningRateAt(9, 1, 10, 110)).toBeCloseTo(1);
    expect(learningRateAt(60, 1, 10, 110)).toBeCloseTo(0.5);
    expect(learningRateAt(110, 1, 10, 110)).toBeCloseTo(0);
  });
  it('clips the global gradient norm', () => {
    const grads = [Float32Array.from([3]), Float32Array.from([4])];
    expect(clipGradients(grads, 1)).toBeCloseTo(5);
    expect(Math.hypot(grads[0]![0]!, grads[1]![0]!)).toBeCloseTo(1, 4);
  });
});

describe('trainLora on the tiny model', () => {
  let temp: TempDir;
  let modelDir: string;
  let artworks: EncodedArtwork[];
  beforeAll(async () => {
    temp = await makeTempDir('trainer-loop');
    modelDir = join(temp.path, 'tiny');
    buildSyntheticModel({ preset: 'tiny', dir: modelDir });
    artworks = await encodeArtworks(modelDir, lookArtworks(3, 64, 'orangestripe'));
  });
  afterAll(() => temp.remove());
  const options = () => ({ modelDir, artworks, rank: 2, alpha: 1, learningRate: 1e-2, steps: 6, seed: 5 });

  it('is deterministic for a seed, reports progress per step and calls back per epoch', async () => {
    const progress: number[] = [];
    const epochs: number[] = [];
    const a = await trainLora({
      ...options(),
      onProgress: (p) => progress.push(p.step),
      onEpochEnd: async (epoch) => {
        epochs.push(epoch);
      },
    });
    const b = await trainLora(options());
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    expect(epochs).toEqual([1, 2]);
    expect(Array.from(a.losses)).toEqual(Array.from(b.losses));
    expect(a.layers.map((l) => Array.from(l.up))).toEqual(b.layers.map((l) => Array.from(l.up)));
    const c = await trainLora({ ...options(), seed: 6 });
    expect(Array.from(c.losses)).not.toEqual(Array.from(a.losses));
  }, 300_000);

  it('stops between steps when cancelled', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const run = trainLora({
      ...options(),
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p.step);
        if (p.step === 2) controller.abort();
      },
    });
    await expect(run).rejects.toBeInstanceOf(TrainingCancelledError);
    expect(seen).toEqual([1, 2]);
  }, 300_000);

  it('writes a kohya LoRA the inference side reads, with its training metadata', async () => {
    const trained = await trainLora(options());
    const path = join(temp.path, 'style.safetensors');
    await writeKohyaLora(path, trained.layers, trained.rank, trained.alpha, {
      ss_network_dim: '2',
      ss_seed: '5',
    });
    const adapter = await readLoraFile(path);
    expect(adapter.format).toBe('kohya');
    expect(adapter.layers).toHaveLength(trained.layers.length);
    for (const layer of adapter.layers) {
      expect(layer.rank).toBe(2);
      expect(layer.scale).toBeCloseTo(0.5);
    }
    expect(adapter.layers.some((l) => l.modulePath.endsWith('attn2_to_k'))).toBe(true);
    expect(adapter.layers.some((l) => l.down.shape.length === 4)).toBe(true); // 1×1 convs keep 4-D factors
    const header = await readSafetensorsHeader(path);
    expect(header.metadata).toMatchObject({ ss_network_dim: '2', ss_seed: '5' });
  }, 300_000);
});
