// The training loop: noise and timesteps from a seeded generator, one forward + backward session
// run per step, AdamW on fp32 master weights in kohya's layout (down [rank, in], up [out, rank]).
import { readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import {
  alphasCumprod,
  createSession,
  decodeModel,
  loadExternalData,
  loadOrt,
  openModelFolder,
  SeededNoise,
  type ExecutionProviderConfig,
} from '@stylelicense/diffusion';
import type { InferenceSession, Tensor } from 'onnxruntime-node';
import { TrainingCancelledError, TrainingOutOfMemoryError } from './autodiff';
import type { TrainedLayer } from './artifact';
import type { EncodedArtwork } from './encode-artworks';
import { noisedExample } from './objective';
import { AdamW, clipGradients, learningRateAt } from './optimizer';
import {
  DynamicLossScaler,
  floatFeed,
  readFloat32,
  type LossScaleReport,
  type LossScalerOptions,
  type Precision,
} from './precision';
import {
  buildTrainingGraph,
  gradientName,
  LOSS_OUTPUT,
  LOSS_SCALE_INPUT,
  LOSS_WEIGHT_INPUT,
  TARGET_INPUT,
  type TrainingGraph,
} from './training-graph';

export interface TrainLoraOptions {
  readonly modelDir: string;
  readonly artworks: readonly EncodedArtwork[];
  readonly rank: number;
  readonly alpha: number;
  readonly learningRate: number;
  readonly steps: number;
  /** Default: 5 % of the steps. */
  readonly warmupSteps?: number;
  /** Default 1. */
  readonly maxGradNorm?: number;
  /** Min-SNR-γ loss weighting (Hang et al. 2023); null or absent = plain MSE. */
  readonly minSnrGamma?: number | null;
  readonly seed: number;
  /** Module paths to train (default: every runtime LoRA target). */
  readonly targets?: readonly (string | RegExp)[];
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: TrainLoraProgress) => void;
  /** Called after the last step of each epoch with the adapter as it stands (sample images). */
  readonly onEpochEnd?: (epoch: number, layers: TrainedLayer[]) => Promise<void>;
  /** Where the training session runs (default the CPU); CUDA never falls back to the CPU. */
  readonly provider?: ExecutionProviderConfig;
  /** Dynamic loss scaling of an fp16 UNet (ignored in fp32, where the scale stays 1). */
  readonly lossScale?: LossScalerOptions;
}

export interface TrainLoraProgress {
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number;
  readonly totalEpochs: number;
  /** Mean loss of the last (up to) 10 steps. */
  readonly loss: number;
  readonly etaSeconds: number;
  readonly elapsedSeconds: number;
}

export interface TrainedLora {
  readonly layers: TrainedLayer[];
  readonly rank: number;
  readonly alpha: number;
  /** Loss of every step. */
  readonly losses: Float32Array;
  /** The UNet's precision: fp16 trains with fp32 master weights and dynamic loss scaling. */
  readonly precision: Precision;
  /** fp16 only: the loss scale at the end and the steps skipped for overflowing gradients. */
  readonly lossScale: LossScaleReport | null;
  readonly epochs: number;
  /** Graph building + session creation, the first step (allocations), and the mean of the others. */
  readonly timings: { readonly buildMs: number; readonly firstStepMs: number; readonly stepMs: number };
}

/** A small seeded uniform generator (mulberry32) for timesteps and the epoch order. */
function uniform(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

export async function trainLora(options: TrainLoraOptions): Promise<TrainedLora> {
  const ort = loadOrt();
  const started = performance.now();
  const folder = await openModelFolder(options.modelDir);
  const unet = decodeModel(new Uint8Array(await readFile(folder.unet)));
  loadExternalData(unet, dirname(folder.unet));
  const alphas = alphasCumprod(folder.schedule);
  const prediction = folder.schedule.predictionType;
  const { rank, alpha } = options;
  const scale = alpha / rank;

  // One graph (and session) per latent size: resolution buckets differ in shape, not in weights.
  const graphs = new Map<string, { graph: TrainingGraph; session: InferenceSession }>();
  for (const artwork of options.artworks) {
    const key = `${artwork.latentShape.join('x')}|${artwork.contextShape.join('x')}`;
    if (graphs.has(key)) continue;
    const [channels, h, w] = artwork.latentShape;
    const graph = await buildTrainingGraph(ort, unet, {
      rank,
      targets: options.targets,
      batch: 1,
      latentChannels: channels,
      latentHeight: h,
      latentWidth: w,
      tokens: artwork.contextShape[0],
      contextDim: artwork.contextShape[1],
    });
    const session = await createSession(
      { model: graph.bytes, byteLength: graph.bytes.byteLength },
      options.provider ?? { provider: 'cpu' },
      'training graph',
    );
    graphs.set(key, { graph, session });
  }
  const { targets, precision } = [...graphs.values()][0]!.graph;
  const scaler = precision === 'fp16' ? new DynamicLossScaler(options.lossScale) : undefined;
  const buildMs = performance.now() - started;

  const random = uniform(options.seed);
  const noise = new SeededNoise(options.seed);
  const downs = targets.map((t) => {
    // kohya's init: down ~ kaiming-uniform(a=√5) = U(±1/√in), up = 0 (the adapter starts as the base model).
    const bound = 1 / Math.sqrt(t.in);
    return Float32Array.from({ length: rank * t.in }, () => (random() * 2 - 1) * bound);
  });
  const ups = targets.map((t) => new Float32Array(t.out * rank));
  const optimizer = new AdamW([...downs, ...ups], { learningRate: options.learningRate });
  const warmup = options.warmupSteps ?? Math.max(1, Math.round(options.steps * 0.05));
  const count = options.artworks.length;
  const totalEpochs = Math.ceil(options.steps / count);
  const losses = new Float32Array(options.steps);
  const snapshot = (): TrainedLayer[] =>
    targets.map((t, k) => ({
      target: t.target,
      kind: t.kind,
      in: t.in,
      out: t.out,
      down: Float32Array.from(downs[k]!),
      up: Float32Array.from(ups[k]!),
    }));

  let order: number[] = [];
  const loopStarted = performance.now();
  let firstStepMs = 0;
  try {
    for (let step = 0; step < options.steps; step++) {
      if (options.signal?.aborted) throw new TrainingCancelledError('training was cancelled');
      const epoch = Math.floor(step / count);
      if (step % count === 0) order = shuffled(count, random);
      const artwork = options.artworks[order[step % count]!]!;
      const { graph, session } = graphs.get(
        `${artwork.latentShape.join('x')}|${artwork.contextShape.join('x')}`,
      )!;

      const t = Math.min(alphas.length - 1, Math.floor(random() * alphas.length));
      const x0 = artwork.latent;
      const { noisy, target, weight } = noisedExample(
        x0,
        noise.gaussian(x0.length),
        alphas[t]!,
        prediction,
        options.minSnrGamma,
      );

      const latentDims = [1, ...artwork.latentShape];
      const feeds: Record<string, Tensor> = {
        sample: floatFeed(ort, noisy, latentDims, precision),
        timestep: new ort.Tensor('int64', BigInt64Array.from([BigInt(t)]), [1]),
        encoder_hidden_states: floatFeed(ort, artwork.context, [1, ...artwork.contextShape], precision),
        [TARGET_INPUT]: new ort.Tensor('float32', target, latentDims),
        [LOSS_WEIGHT_INPUT]: new ort.Tensor('float32', Float32Array.from([weight]), [1]),
        [LOSS_SCALE_INPUT]: new ort.Tensor('float32', Float32Array.from([scaler?.scale ?? 1]), []),
        [graph.scaleInput]: floatFeed(ort, Float32Array.from([1]), [1], precision),
      };
      targets.forEach((tg, k) => {
        // The graph's A = downᵀ [in, rank] and B = (alpha/rank)·upᵀ [rank, out].
        const A = new Float32Array(tg.in * rank);
        const B = new Float32Array(rank * tg.out);
        const down = downs[k]!;
        const up = ups[k]!;
        for (let r = 0; r < rank; r++) {
          for (let i = 0; i < tg.in; i++) A[i * rank + r] = down[r * tg.in + i]!;
          for (let o = 0; o < tg.out; o++) B[r * tg.out + o] = scale * up[o * rank + r]!;
        }
        feeds[tg.a.name] = floatFeed(ort, A, [1, tg.in, rank], precision);
        feeds[tg.b.name] = floatFeed(ort, B, [1, rank, tg.out], precision);
      });

      const out = await runStep(session, feeds);
      losses[step] = Number(out[LOSS_OUTPUT]!.data[0]);
      const gradDown = targets.map((tg) => {
        const gA = readFloat32(out[gradientName(tg.a.name)]!);
        const g = new Float32Array(rank * tg.in);
        for (let r = 0; r < rank; r++) for (let i = 0; i < tg.in; i++) g[r * tg.in + i] = gA[i * rank + r]!;
        return g;
      });
      const gradUp = targets.map((tg) => {
        const gB = readFloat32(out[gradientName(tg.b.name)]!);
        const g = new Float32Array(tg.out * rank);
        for (let r = 0; r < rank; r++)
          for (let o = 0; o < tg.out; o++) g[o * rank + r] = scale * gB[r * tg.out + o]!;
        return g;
      });
      const grads = [...gradDown, ...gradUp];
      // fp16: unscale, and skip the update when the scaled gradients overflowed.
      if (!scaler || scaler.unscale(grads)) {
        clipGradients(grads, options.maxGradNorm ?? 1);
        optimizer.update(grads, learningRateAt(step, options.learningRate, warmup, options.steps));
      }

      const elapsed = (performance.now() - loopStarted) / 1000;
      if (step === 0) firstStepMs = elapsed * 1000;
      const recent = losses.subarray(Math.max(0, step - 9), step + 1);
      options.onProgress?.({
        step: step + 1,
        totalSteps: options.steps,
        epoch: epoch + 1,
        totalEpochs,
        loss: recent.reduce((s, v) => s + v, 0) / recent.length,
        etaSeconds: (elapsed / (step + 1)) * (options.steps - step - 1),
        elapsedSeconds: elapsed,
      });
      if ((step + 1) % count === 0 || step === options.steps - 1)
        await options.onEpochEnd?.(epoch + 1, snapshot());
      await yieldToEventLoop();
    }
  } finally {
    for (const { session } of graphs.values()) await session.release();
  }
  return {
    layers: snapshot(),
    rank,
    alpha,
    losses,
    precision,
    lossScale: scaler?.report() ?? null,
    epochs: totalEpochs,
    timings: {
      buildMs,
      firstStepMs,
      stepMs: (performance.now() - loopStarted - firstStepMs) / Math.max(1, options.steps - 1),
    },
  };
}

function shuffled(count: number, random: () => number): number[] {
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

async function runStep(
  session: InferenceSession,
  feeds: Record<string, Tensor>,
): Promise<InferenceSession.ReturnType> {
  try {
    return await session.run(feeds);
  } catch (error) {
    if (/alloc|out of memory/i.test(String(error)))
      throw new TrainingOutOfMemoryError(`a training step ran out of memory: ${String(error)}`, {
        cause: error,
      });
    throw error;
  }
}
