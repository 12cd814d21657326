// It learns: ten artworks of one look (warm orange, diagonal stripes) train an adapter on the
// tiny synthetic model; the loss falls, and the adapter, loaded the way inference loads it,
// denoises to latents much closer to the artworks' than the base model does from the same seeds.
//
// The measure is in latent space: the synthetic VAE's encoder and decoder are independent random
// networks (not inverses), so pixels decoded from latents say nothing about the dataset; the UNet
// — the part a LoRA changes — produces latents, and those are compared with the artworks' latents.
import { join } from 'node:path';
import {
  alphasCumprod,
  buildSyntheticModel,
  DiffusionEngine,
  loadOrt,
  mergeLoraIntoModel,
  parseScheduleConfig,
  readLoraFile,
  SeededNoise,
  silentLogger,
} from '@stylelicense/diffusion';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import type { InferenceSession } from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeArtworks, trainLora, writeKohyaLora, type EncodedArtwork } from '../src';
import { lookArtworks } from './look';

let temp: TempDir;
beforeAll(async () => {
  temp = await makeTempDir('trainer-learns');
});
afterAll(() => temp.remove());

const CAPTION = 'orangestripe, a painting';
const SEEDS = [11, 12, 13];

/** Deterministic DDIM, 25 steps from the seed's noise, conditioned on the caption: the final latent. */
async function sampleLatent(
  unet: InferenceSession,
  artwork: EncodedArtwork,
  seed: number,
): Promise<Float32Array> {
  const ort = loadOrt();
  const alphas = alphasCumprod(parseScheduleConfig({}));
  const context = new ort.Tensor('float32', artwork.context, [1, ...artwork.contextShape]);
  let x = new SeededNoise(seed).gaussian(artwork.latent.length);
  const timesteps = Array.from({ length: 25 }, (_, i) => 999 - i * 40);
  for (const [i, t] of timesteps.entries()) {
    const a = alphas[t]!;
    const next = i + 1 < timesteps.length ? alphas[timesteps[i + 1]!]! : 1;
    const out = await unet.run({
      sample: new ort.Tensor('float32', x, [1, ...artwork.latentShape]),
      timestep: new ort.Tensor('int64', BigInt64Array.from([BigInt(t)]), [1]),
      encoder_hidden_states: context,
    });
    const eps = out.out_sample!.data as Float32Array;
    x = x.map((v, k) => {
      const x0 = (v - Math.sqrt(1 - a) * eps[k]!) / Math.sqrt(a);
      return Math.sqrt(next) * x0 + Math.sqrt(1 - next) * eps[k]!;
    });
  }
  return x;
}

/** RMS distance from a latent to the nearest artwork latent. */
function distanceToDataset(latent: Float32Array, dataset: readonly EncodedArtwork[]): number {
  return Math.min(
    ...dataset.map((d) =>
      Math.sqrt(d.latent.reduce((s, v, k) => s + (v - latent[k]!) ** 2, 0) / latent.length),
    ),
  );
}

describe('training on the tiny model', () => {
  it('lowers the loss and pulls generations towards the dataset', async () => {
    const modelDir = join(temp.path, 'tiny');
    buildSyntheticModel({ preset: 'tiny', dir: modelDir });
    const artworks = await encodeArtworks(modelDir, lookArtworks(10, 64, CAPTION));
    const steps = 300;
    const trained = await trainLora({
      modelDir,
      artworks,
      rank: 4,
      alpha: 4,
      learningRate: 1e-2,
      steps,
      seed: 1,
    });

    const tenth = steps / 10;
    const mean = (values: Float32Array) => values.reduce((s, v) => s + v, 0) / values.length;
    const first = mean(trained.losses.subarray(0, tenth));
    const last = mean(trained.losses.subarray(steps - tenth));
    console.log(
      `loss: first tenth ${first.toFixed(4)}, last tenth ${last.toFixed(4)} (${(last / first).toFixed(3)}×)`,
    );
    expect(last).toBeLessThan(0.7 * first);

    const adapterPath = join(temp.path, 'style.safetensors');
    await writeKohyaLora(adapterPath, trained.layers, 4, 4, { ss_network_dim: '4' });
    const ort = loadOrt();
    const unetFile = join(modelDir, 'unet', 'model.onnx');
    const base = await ort.InferenceSession.create(unetFile);
    const merged = await mergeLoraIntoModel(unetFile, (await readLoraFile(adapterPath)).layers, 1);
    const styled = await ort.InferenceSession.create(merged.model as Uint8Array);
    const distances = { base: [] as number[], styled: [] as number[] };
    for (const seed of SEEDS) {
      distances.base.push(distanceToDataset(await sampleLatent(base, artworks[0]!, seed), artworks));
      distances.styled.push(distanceToDataset(await sampleLatent(styled, artworks[0]!, seed), artworks));
    }
    await base.release();
    await styled.release();
    console.log(
      `latent RMS to the nearest artwork, seeds ${SEEDS.join(', ')}: base ${distances.base.map((d) => d.toFixed(2)).join(', ')}; styled ${distances.styled.map((d) => d.toFixed(2)).join(', ')}`,
    );
    for (const [i, d] of distances.styled.entries()) expect(d).toBeLessThan(0.75 * distances.base[i]!);

    // The product's pipeline loads the same file unchanged and generates with it at strength 1.
    const engine = new DiffusionEngine({ provider: { provider: 'cpu' }, logger: silentLogger });
    const request = {
      modelDir,
      prompt: CAPTION,
      width: 64,
      height: 64,
      steps: 8,
      guidanceScale: 1,
      seed: 11,
    };
    const plain = await engine.generate(request);
    const withStyle = await engine.generate({ ...request, lora: { path: adapterPath, strength: 1 } });
    expect(withStyle.pixels).toHaveLength(64 * 64 * 3);
    expect(Buffer.from(withStyle.pixels).equals(Buffer.from(plain.pixels))).toBe(false);
    await engine.close();
  }, 600_000);
});
