// Training speed on the tiny synthetic model on this CPU: steps per second of one forward +
// backward session run (plus the optimizer update in the loop figure), and the backward/forward
// time ratio against the forward pass alone measured in the same run on the same inputs
// (PyTorch's usual anchor: backward ≈ 2× forward).
// Usage: pnpm --filter @stylelicense/trainer bench   (env: BENCH_STEPS, BENCH_SIZES="64,256")
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import {
  addRuntimeLoraInputs,
  buildSyntheticModel,
  decodeModel,
  encodeModel,
  loadOrt,
} from '@stylelicense/diffusion';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { buildTrainingGraph, encodeArtworks, trainLora } from '../src';
import { LOSS_SCALE_INPUT, LOSS_WEIGHT_INPUT, TARGET_INPUT } from '../src/training-graph';
import { lookArtworks } from '../test/look';

const steps = Number(process.env.BENCH_STEPS ?? 30);
const sizes = (process.env.BENCH_SIZES ?? '64,256').split(',').map(Number);
const rank = 4;
const ort = loadOrt();

async function timeRuns(
  session: InferenceSession,
  feeds: Record<string, Tensor>,
  runs: number,
): Promise<number> {
  await session.run(feeds); // warm-up: first-run allocations
  const started = performance.now();
  for (let i = 0; i < runs; i++) await session.run(feeds);
  return (performance.now() - started) / runs;
}

const root = await mkdtemp(join(tmpdir(), 'trainer-bench-'));
try {
  const modelDir = join(root, 'tiny');
  buildSyntheticModel({ preset: 'tiny', dir: modelDir });
  const unet = decodeModel(new Uint8Array(await readFile(join(modelDir, 'unet', 'model.onnx'))));
  console.log(
    `trainer bench — tiny model, rank ${rank}, batch 1, fp32, CPU (${cpus().length} cores, load ${loadavg()[0]!.toFixed(1)})`,
  );
  for (const size of sizes) {
    const [artwork] = await encodeArtworks(modelDir, lookArtworks(1, size, 'bench'));
    const [channels, h, w] = artwork!.latentShape;
    const [tokens, dim] = artwork!.contextShape;
    const graph = await buildTrainingGraph(ort, unet, {
      rank,
      batch: 1,
      latentChannels: channels,
      latentHeight: h,
      latentWidth: w,
      tokens,
      contextDim: dim,
    });
    const training = await ort.InferenceSession.create(graph.bytes, { logSeverityLevel: 3 });
    // Baseline: the same LoRA-input UNet, forward only.
    const forward = await ort.InferenceSession.create(
      encodeModel(addRuntimeLoraInputs(unet, { maxRank: rank }).model),
      { logSeverityLevel: 3 },
    );
    const latent = new Float32Array(channels * h * w).fill(0.1);
    const feeds: Record<string, Tensor> = {
      sample: new ort.Tensor('float32', latent, [1, channels, h, w]),
      timestep: new ort.Tensor('int64', BigInt64Array.from([500n]), [1]),
      encoder_hidden_states: new ort.Tensor('float32', artwork!.context, [1, tokens, dim]),
      [graph.scaleInput]: new ort.Tensor('float32', Float32Array.from([1]), [1]),
    };
    for (const t of graph.targets) {
      feeds[t.a.name] = new ort.Tensor('float32', new Float32Array(t.in * rank).fill(0.01), [1, t.in, rank]);
      feeds[t.b.name] = new ort.Tensor('float32', new Float32Array(rank * t.out).fill(0.01), [
        1,
        rank,
        t.out,
      ]);
    }
    const forwardMs = await timeRuns(forward, feeds, steps);
    const stepMs = await timeRuns(
      training,
      {
        ...feeds,
        [TARGET_INPUT]: feeds.sample!,
        [LOSS_WEIGHT_INPUT]: new ort.Tensor('float32', Float32Array.from([1]), [1]),
        [LOSS_SCALE_INPUT]: new ort.Tensor('float32', Float32Array.from([1]), []),
      },
      steps,
    );
    await forward.release();
    await training.release();
    const loop = await trainLora({
      modelDir,
      artworks: [artwork!],
      rank,
      alpha: rank,
      learningRate: 1e-3,
      steps,
      seed: 1,
    });
    console.log(
      `${size}×${size} px (latents ${h}×${w}): forward ${forwardMs.toFixed(1)} ms; forward+backward ${stepMs.toFixed(1)} ms → ` +
        `backward/forward ${((stepMs - forwardMs) / forwardMs).toFixed(2)}×; training loop ${(1000 / loop.timings.stepMs).toFixed(2)} steps/s ` +
        `(${loop.timings.stepMs.toFixed(1)} ms/step incl. noise, AdamW over ${graph.targets.length} targets; graph build + session ${(loop.timings.buildMs / 1000).toFixed(1)} s)`,
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
}
