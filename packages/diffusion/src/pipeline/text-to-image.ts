import { createScheduler, defaultSchedulerName, SeededNoise, type SchedulerName } from '../schedulers';
import type { ClipTokenizer } from '../tokenizer/clip-tokenizer';
import { DiffusionError } from './errors';
import type { ModelFolder } from './model-folder';
import type { InferenceSession, OrtTensor } from './ort';
import { checkImageSize } from './sizes';
import {
  floatTensor,
  idsTensor,
  inputSpecs,
  pickInput,
  readFloats,
  runSession,
  type InputSpec,
} from './tensors';
import { UNetStep, type UNetGuidance } from './unet-step';

export interface GenerateRequest {
  /** Model folder (Optimum ONNX layout). */
  modelDir: string;
  prompt: string;
  negativePrompt?: string;
  width: number;
  height: number;
  steps: number;
  /** Classifier-free guidance; ≤ 1 runs the UNet on the prompt alone (turbo/LCM models). */
  guidanceScale: number;
  /** Integer 0 … 2^53−1; the same seed on the same backend gives the same pixels. */
  seed: number;
  /** Defaults to what the model's scheduler_config.json names. */
  scheduler?: SchedulerName;
  lora?: { path: string; strength: number };
}

export interface GenerationProgress {
  step: number;
  totalSteps: number;
  /** 0–100, denoising steps done */
  percent: number;
  /** Seconds left, from the mean step time so far. */
  etaSeconds: number;
}

export interface GenerateHooks {
  signal?: AbortSignal;
  onProgress?: (progress: GenerationProgress) => void;
}

export interface GeneratedImage {
  /** RGB, 8 bits per channel, row-major, no padding. */
  pixels: Uint8Array;
  width: number;
  height: number;
  channels: 3;
  seed: number;
  steps: number;
  guidanceScale: number;
  scheduler: SchedulerName;
  /** The execution provider that ran it, e.g. `cpu` or `cuda:0`. */
  provider: string;
  timings: { loadMs: number; textEncoderMs: number; denoiseMs: number; decodeMs: number; totalMs: number };
}

/** The sessions and files one generation needs. */
export interface LoadedModel {
  folder: ModelFolder;
  tokenizer: ClipTokenizer;
  textEncoder: InferenceSession;
  unet: InferenceSession;
  vaeDecoder: InferenceSession;
  provider: string;
}

function checkRequest(request: GenerateRequest): void {
  checkImageSize(request.width, request.height);
  if (typeof request.prompt !== 'string')
    throw new DiffusionError('INVALID_INPUT', 'prompt must be a string');
  if (!Number.isFinite(request.guidanceScale) || request.guidanceScale < 0 || request.guidanceScale > 50) {
    throw new DiffusionError(
      'INVALID_INPUT',
      `guidanceScale must be between 0 and 50, got ${request.guidanceScale}`,
    );
  }
}

function throwIfCancelled(signal: AbortSignal | undefined): void {
  if (signal?.aborted)
    throw new DiffusionError('CANCELLED', 'generation was cancelled', { retryable: false });
}

// Lets queued messages (cancel requests, progress consumers) run between blocking ORT calls.
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Text → image with classifier-free guidance on loaded sessions. */
export async function generateWithModel(
  model: LoadedModel,
  request: GenerateRequest,
  hooks: GenerateHooks = {},
  loadMs = 0,
): Promise<GeneratedImage> {
  const started = performance.now();
  checkRequest(request);
  const { signal, onProgress } = hooks;
  throwIfCancelled(signal);
  const schedulerName = request.scheduler ?? defaultSchedulerName(model.folder.schedule);
  const scheduler = createScheduler(schedulerName, model.folder.schedule, request.steps);
  const noise = new SeededNoise(request.seed);
  const guided = request.guidanceScale > 1;

  // Text embeddings: [uncond, cond] when guiding, else [cond].
  const teSpecs = inputSpecs(model.textEncoder, 'text_encoder');
  const idsSpec = pickInput(teSpecs, ['input_ids'], 0, 'text_encoder');
  const embed = async (text: string): Promise<Float32Array> =>
    Float32Array.from(
      readFloats(
        await runSession(
          model.textEncoder,
          { [idsSpec.name]: idsTensor(model.tokenizer.encode(text), idsSpec) },
          'text encoder',
        ),
        'text encoder',
      ),
    );
  const cond = await embed(request.prompt);
  const uncond = guided ? await embed(request.negativePrompt ?? '') : undefined;
  const textEncoderMs = performance.now() - started;

  const unetSpecs = inputSpecs(model.unet, 'unet');
  const sampleSpec = pickInput(unetSpecs, ['sample'], 0, 'unet');
  const timestepSpec = pickInput(unetSpecs, ['timestep'], 1, 'unet');
  const contextSpec = pickInput(unetSpecs, ['encoder_hidden_states'], 2, 'unet');
  if (unetSpecs.size > 3) {
    const extra = [...unetSpecs.keys()].filter(
      (n) => ![sampleSpec.name, timestepSpec.name, contextSpec.name].includes(n),
    );
    throw new DiffusionError(
      'MODEL_INVALID',
      `unet needs inputs this pipeline does not provide: ${extra.join(', ')}`,
    );
  }
  const channels = typeof sampleSpec.shape[1] === 'number' ? sampleSpec.shape[1] : 4;
  const latentH = request.height / 8;
  const latentW = request.width / 8;
  checkFixedDims(sampleSpec, latentH, latentW);
  const latentSize = channels * latentH * latentW;
  const tokens = model.tokenizer.contextLength;
  // Exports with a fixed batch of 1 get the two guidance halves in two runs.
  const batchTogether = guided && sampleSpec.shape[0] !== 1;

  let latents = noise.gaussian(latentSize);
  for (let i = 0; i < latentSize; i++) latents[i]! *= scheduler.initNoiseSigma;

  const denoiseStarted = performance.now();
  const total = scheduler.timesteps.length;
  // Text embeddings are the same every step: convert them to the UNet's dtype once.
  const hidden = cond.length / tokens;
  if (!Number.isInteger(hidden)) {
    throw new DiffusionError(
      'MODEL_INVALID',
      `text encoder returned ${cond.length} values for ${tokens} tokens`,
    );
  }
  const contextTensor = (values: Float32Array, batch: number): OrtTensor =>
    floatTensor(values, contextSpec, [batch, tokens, hidden]);
  const scale = request.guidanceScale;
  let guidance: UNetGuidance;
  if (!uncond) {
    guidance = { kind: 'none', context: contextTensor(cond, 1) };
  } else if (batchTogether) {
    const pair = new Float32Array(uncond.length + cond.length);
    pair.set(uncond);
    pair.set(cond, uncond.length);
    guidance = { kind: 'batched', context: contextTensor(pair, 2), scale };
  } else {
    guidance = { kind: 'separate', uncond: contextTensor(uncond, 1), cond: contextTensor(cond, 1), scale };
  }
  const unet = new UNetStep(
    model.unet,
    { sample: sampleSpec, timestep: timestepSpec, context: contextSpec },
    [channels, latentH, latentW],
    scheduler.timesteps,
    guidance,
  );
  for (let step = 0; step < total; step++) {
    throwIfCancelled(signal);
    const prediction = await unet.predict(latents, scheduler.modelInputScale(step), step);
    latents = scheduler.step(prediction, step, latents, noise);
    const elapsed = (performance.now() - denoiseStarted) / 1000;
    onProgress?.({
      step: step + 1,
      totalSteps: total,
      percent: Math.round(((step + 1) / total) * 1000) / 10,
      etaSeconds: Math.round((elapsed / (step + 1)) * (total - step - 1) * 100) / 100,
    });
    await yieldToEventLoop();
  }
  throwIfCancelled(signal);
  const denoiseMs = performance.now() - denoiseStarted;

  const decodeStarted = performance.now();
  const vaeSpec = pickInput(inputSpecs(model.vaeDecoder, 'vae_decoder'), ['latent_sample'], 0, 'vae_decoder');
  const scaled = latents.map((v) => v / model.folder.vaeScalingFactor);
  const decoded = readFloats(
    await runSession(
      model.vaeDecoder,
      { [vaeSpec.name]: floatTensor(scaled, vaeSpec, [1, channels, latentH, latentW]) },
      'vae decoder',
    ),
    'vae decoder',
  );
  if (decoded.length !== 3 * request.width * request.height) {
    throw new DiffusionError(
      'MODEL_INVALID',
      `vae decoder returned ${decoded.length} values for a ${request.width}×${request.height} image`,
    );
  }
  const pixels = toRgb(decoded, request.width, request.height);
  const decodeMs = performance.now() - decodeStarted;
  return {
    pixels,
    width: request.width,
    height: request.height,
    channels: 3,
    seed: request.seed,
    steps: total,
    guidanceScale: request.guidanceScale,
    scheduler: schedulerName,
    provider: model.provider,
    timings: { loadMs, textEncoderMs, denoiseMs, decodeMs, totalMs: performance.now() - started + loadMs },
  };
}

function checkFixedDims(spec: InputSpec, height: number, width: number): void {
  const [, , h, w] = spec.shape;
  if ((typeof h === 'number' && h !== height) || (typeof w === 'number' && w !== width)) {
    throw new DiffusionError(
      'INVALID_INPUT',
      `this model only generates ${Number(w) * 8}×${Number(h) * 8} images`,
    );
  }
}

/** VAE output NCHW in [−1, 1] → interleaved RGB bytes. */
function toRgb(decoded: Float32Array, width: number, height: number): Uint8Array {
  const plane = width * height;
  const pixels = new Uint8Array(plane * 3);
  for (let c = 0; c < 3; c++) {
    const offset = c * plane;
    for (let i = 0; i < plane; i++) {
      const v = Math.round((decoded[offset + i]! / 2 + 0.5) * 255);
      pixels[i * 3 + c] = v < 0 ? 0 : v > 255 ? 255 : v;
    }
  }
  return pixels;
}
