// The fused graph must compute what the plain one does. Every contrib op group with a CPU kernel in
// onnxruntime-node is compared here on the same inputs; the groups that need CUDA (NHWC convs and
// norms, packed-QKV attention, BiasSplitGelu) are compared by bench/gpu-sd15.ts, and this file
// shows the CPU refuses them.
import { join } from 'node:path';
import { makeTempDir } from '@stylelicense/test-kit';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DiffusionEngine, type GenerateRequest } from '../src';
import { buildSyntheticModel, FUSED_OPS, type FusedOp, maxAbsDifference, psnr } from '../src/synthetic';
import { SeededNoise } from '../src/schedulers';

/** The groups onnxruntime-node 1.29 runs on the CPU execution provider. */
const CPU_GROUPS: FusedOp[] = ['attention', 'skipLayerNorm'];
// fp32 on both sides: the only differences are the kernels' summation order.
const UNET_TOLERANCE = 1e-4; // max |Δ| relative to max |y|
const IMAGE_PSNR_DB = 45;

const tempDir = await makeTempDir('fused-equals-plain');
const build = (name: string, fused: FusedOp[], seed = 5) =>
  buildSyntheticModel({ preset: 'tiny', dtype: 'fp32', seed, fused, dir: join(tempDir.path, name) }).dir;

let plainDir = '';
let fusedDir = '';
let engine: DiffusionEngine;

beforeAll(() => {
  plainDir = build('plain', []);
  fusedDir = build('fused', CPU_GROUPS);
  engine = new DiffusionEngine({ provider: { provider: 'cpu' }, logger: { info() {}, warn() {} } });
});

afterAll(async () => {
  await engine?.close();
  await tempDir.remove();
});

/** Runs one sub-model of a folder on the CPU with the given feeds; returns its first output. */
async function runOnce(dir: string, part: string, feeds: Record<string, ort.Tensor>): Promise<Float32Array> {
  const session = await ort.InferenceSession.create(join(dir, part, 'model.onnx'));
  try {
    const out = await session.run(feeds);
    return out[session.outputNames[0]!]!.data as Float32Array;
  } finally {
    await session.release();
  }
}

function gaussian(seed: number, dims: number[]): ort.Tensor {
  const values = new SeededNoise(seed).gaussian(dims.reduce((n, d) => n * d, 1));
  return new ort.Tensor('float32', values, dims);
}

const unetFeeds = (): Record<string, ort.Tensor> => ({
  sample: gaussian(1, [2, 4, 16, 16]),
  timestep: new ort.Tensor('int64', BigInt64Array.from([601n]), [1]),
  encoder_hidden_states: gaussian(2, [2, 77, 32]),
});

const request = (modelDir: string): GenerateRequest => ({
  modelDir,
  prompt: 'a watercolor fox in the snow',
  negativePrompt: 'blurry',
  width: 64,
  height: 64,
  steps: 4,
  guidanceScale: 7.5,
  seed: 11,
});

describe('fused contrib ops with a CPU kernel compute what the plain graph does', () => {
  it(`UNet output: max |Δ| ≤ ${UNET_TOLERANCE} × max |y| for ${CPU_GROUPS.join(' + ')}`, async () => {
    const plain = await runOnce(plainDir, 'unet', unetFeeds());
    const fused = await runOnce(fusedDir, 'unet', unetFeeds());
    const { maxAbsDiff, maxAbs } = maxAbsDifference(plain, fused);
    expect(maxAbs).toBeGreaterThan(0.1);
    expect(maxAbsDiff).toBeLessThanOrEqual(UNET_TOLERANCE * maxAbs);
    // The measure can fail: another seed's weights are far outside the tolerance.
    const other = await runOnce(build('plain-other-seed', [], 6), 'unet', unetFeeds());
    expect(maxAbsDifference(plain, other).maxAbsDiff).toBeGreaterThan(100 * UNET_TOLERANCE * maxAbs);
  });

  it('VAE decoder output (its mid-block attention is MultiHeadAttention) agrees to the same tolerance', async () => {
    const feeds = () => ({ latent_sample: gaussian(3, [1, 4, 8, 8]) });
    const plain = await runOnce(plainDir, 'vae_decoder', feeds());
    const fused = await runOnce(fusedDir, 'vae_decoder', feeds());
    const { maxAbsDiff, maxAbs } = maxAbsDifference(plain, fused);
    expect(maxAbs).toBeGreaterThan(0.1);
    expect(maxAbsDiff).toBeLessThanOrEqual(UNET_TOLERANCE * maxAbs);
  });

  it(`the final image through the whole pipeline has PSNR ≥ ${IMAGE_PSNR_DB} dB against the plain one`, async () => {
    const plain = await engine.generate(request(plainDir));
    const fused = await engine.generate(request(fusedDir));
    expect(psnr(plain.pixels, fused.pixels)).toBeGreaterThanOrEqual(IMAGE_PSNR_DB);
    const otherPrompt = await engine.generate({ ...request(plainDir), prompt: 'a city at night' });
    expect(psnr(plain.pixels, otherPrompt.pixels)).toBeLessThan(IMAGE_PSNR_DB);
  });

  it('the other groups have no CPU kernel (the GPU bench compares them); a new kernel fails this test', async () => {
    const cudaOnly = FUSED_OPS.filter((group) => !CPU_GROUPS.includes(group));
    expect(cudaOnly).toEqual(['nhwc', 'packedQkv', 'geglu']);
    // NhwcConv and BiasSplitGelu are refused when the session is made, packed QKV when it runs.
    for (const [group, missing] of [
      ['nhwc', 'NhwcConv'],
      ['geglu', 'BiasSplitGelu'],
    ] as const) {
      const dir = build(`only-${group}`, [group]);
      await expect(ort.InferenceSession.create(join(dir, 'unet', 'model.onnx'))).rejects.toThrow(missing);
    }
    const packed = build('only-packed', ['attention', 'packedQkv']);
    await expect(runOnce(packed, 'unet', unetFeeds())).rejects.toThrow(
      /Packed QKV .* not implemented for CPU/,
    );
  });
});
