import { loraFeeds, type LoraBatchItem } from '../lora-runtime';
import { createScheduler, defaultSchedulerName, SeededNoise, type SchedulerName } from '../schedulers';
import { DiffusionError } from './errors';
import type { BatchItem, GenerateHooks, GenerateRequest, GeneratedImage, LoadedModel } from './requests';
import type { OrtTensor } from './ort';
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

/** Requests that can share UNet calls: same model, size, step count, scheduler and guidance mode. */
export function batchKey(request: GenerateRequest, schedulerName: SchedulerName): string {
  const guided = request.guidanceScale > 1;
  return [request.modelDir, request.width, request.height, request.steps, schedulerName, guided].join('|');
}

function cancelled(): DiffusionError {
  return new DiffusionError('CANCELLED', 'generation was cancelled', { retryable: false });
}

// Lets queued messages (cancel requests, progress consumers) run between blocking ORT calls.
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Text → image with classifier-free guidance on loaded sessions (a batch of one). */
export async function generateWithModel(
  model: LoadedModel,
  request: GenerateRequest,
  hooks: GenerateHooks = {},
  loadMs = 0,
): Promise<GeneratedImage> {
  const [result] = await generateBatchWithModel(model, [{ request, hooks, loadMs }]);
  if (result!.status === 'rejected') throw result!.reason;
  return result!.value;
}

/**
 * Text → image for several requests in shared UNet calls: row i of every call is item i, with its
 * own latents, noise, scheduler, guidance scale and style. Items fail alone (a bad request, a
 * cancelled signal); the others go on. All items must share `batchKey`.
 */
export async function generateBatchWithModel(
  model: LoadedModel,
  items: readonly BatchItem[],
): Promise<PromiseSettledResult<GeneratedImage>[]> {
  const started = performance.now();
  const results: PromiseSettledResult<GeneratedImage>[] = items.map(() => ({
    status: 'rejected',
    reason: cancelled(),
  }));
  const live: number[] = [];
  items.forEach((item, i) => {
    try {
      checkRequest(item.request);
      if (item.hooks?.signal?.aborted) throw cancelled();
      live.push(i);
    } catch (error) {
      results[i] = { status: 'rejected', reason: error };
    }
  });
  if (live.length === 0) return results;
  const first = items[live[0]!]!.request;
  const schedulerName = first.scheduler ?? defaultSchedulerName(model.folder.schedule);
  const key = batchKey(first, schedulerName);
  for (const i of live) {
    const r = items[i]!.request;
    if (batchKey(r, r.scheduler ?? defaultSchedulerName(model.folder.schedule)) !== key)
      throw new DiffusionError(
        'INVALID_INPUT',
        'a batch mixes sizes, step counts, schedulers or guidance modes',
      );
  }
  const guided = first.guidanceScale > 1;
  const { channels, latentH, latentW, inputs, tokens } = unetShape(model, first);
  const batchTogether = guided && inputs.sample.shape[0] !== 1;
  if (!batchTogether && guided && live.length > 1)
    throw new DiffusionError('INVALID_INPUT', 'this model runs one image per UNet call');

  // Text embeddings, one text encoder run per text (its rows carry the item's text-encoder style).
  const teSpecs = inputSpecs(model.textEncoder, 'text_encoder');
  const idsSpec = pickInput(teSpecs, ['input_ids'], 0, 'text_encoder');
  const embed = async (text: string, item: BatchItem): Promise<Float32Array> => {
    const feeds: Record<string, OrtTensor> = {
      [idsSpec.name]: idsTensor(model.tokenizer.encode(text), idsSpec),
    };
    if (model.textEncoderLora) {
      const row: LoraBatchItem = { factors: item.style?.textEncoder, strength: item.style?.strength ?? 0 };
      Object.assign(feeds, loraFeeds(model.textEncoderLora, [row]));
    }
    return Float32Array.from(
      readFloats(await runSession(model.textEncoder, feeds, 'text encoder'), 'text encoder'),
    );
  };
  const conds: Float32Array[] = [];
  const unconds: Float32Array[] = [];
  for (const i of live) {
    const item = items[i]!;
    conds.push(await embed(item.request.prompt, item));
    if (guided) unconds.push(await embed(item.request.negativePrompt ?? '', item));
  }
  const textEncoderMs = performance.now() - started;
  const hidden = conds[0]!.length / tokens;
  if (!Number.isInteger(hidden)) {
    throw new DiffusionError(
      'MODEL_INVALID',
      `text encoder returned ${conds[0]!.length} values for ${tokens} tokens`,
    );
  }
  const contextTensor = (parts: Float32Array[]): OrtTensor => {
    const joined = new Float32Array(parts.length * conds[0]!.length);
    parts.forEach((p, i) => joined.set(p, i * p.length));
    return floatTensor(joined, inputs.context, [parts.length, tokens, hidden]);
  };
  const scales = live.map((i) => items[i]!.request.guidanceScale);
  let guidance: UNetGuidance;
  if (!guided) guidance = { kind: 'none', context: contextTensor(conds) };
  else if (batchTogether)
    guidance = { kind: 'batched', context: contextTensor([...unconds, ...conds]), scales };
  else
    guidance = {
      kind: 'separate',
      uncond: contextTensor(unconds),
      cond: contextTensor(conds),
      scales: [scales[0]!],
    };

  const loraRows: LoraBatchItem[] = live.map((i) => ({
    factors: items[i]!.style?.unet,
    strength: items[i]!.style?.strength ?? 0,
  }));
  const rows = guidance.kind === 'batched' ? [...loraRows, ...loraRows] : loraRows;
  const constant = model.unetLora ? loraFeeds(model.unetLora, rows) : {};
  const schedulers = live.map(() => createScheduler(schedulerName, model.folder.schedule, first.steps));
  const noises = live.map((i) => new SeededNoise(items[i]!.request.seed));
  const latentSize = channels * latentH * latentW;
  const latents = noises.map((noise, k) => {
    const values = noise.gaussian(latentSize);
    for (let j = 0; j < latentSize; j++) values[j]! *= schedulers[k]!.initNoiseSigma;
    return values;
  });
  const unet = new UNetStep(
    model.unet,
    inputs,
    [channels, latentH, latentW],
    schedulers[0]!.timesteps,
    guidance,
    live.length,
    constant,
  );
  // Cancelled items keep their rows (the batch's tensors are fixed) but stop reporting and decoding.
  const running = live.map(() => true);
  const denoiseStarted = performance.now();
  const total = schedulers[0]!.timesteps.length;
  for (let step = 0; step < total; step++) {
    live.forEach((i, k) => {
      if (running[k] && items[i]!.hooks?.signal?.aborted) running[k] = false;
    });
    if (!running.some(Boolean)) return results;
    const inputScales = schedulers.map((s) => s.modelInputScale(step));
    const predictions = await unet.predict(latents, inputScales, step);
    const elapsed = (performance.now() - denoiseStarted) / 1000;
    live.forEach((i, k) => {
      latents[k] = schedulers[k]!.step(predictions[k]!, step, latents[k]!, noises[k]!);
      if (!running[k]) return;
      items[i]!.hooks?.onProgress?.({
        step: step + 1,
        totalSteps: total,
        percent: Math.round(((step + 1) / total) * 1000) / 10,
        etaSeconds: Math.round((elapsed / (step + 1)) * (total - step - 1) * 100) / 100,
      });
    });
    await yieldToEventLoop();
  }
  const denoiseMs = performance.now() - denoiseStarted;

  const vaeSpec = pickInput(inputSpecs(model.vaeDecoder, 'vae_decoder'), ['latent_sample'], 0, 'vae_decoder');
  for (const [k, i] of live.entries()) {
    const item = items[i]!;
    if (!running[k] || item.hooks?.signal?.aborted) continue;
    try {
      const decodeStarted = performance.now();
      const scaled = latents[k]!.map((v) => v / model.folder.vaeScalingFactor);
      const decoded = readFloats(
        await runSession(
          model.vaeDecoder,
          { [vaeSpec.name]: floatTensor(scaled, vaeSpec, [1, channels, latentH, latentW]) },
          'vae decoder',
        ),
        'vae decoder',
      );
      const { width, height } = item.request;
      if (decoded.length !== 3 * width * height) {
        throw new DiffusionError(
          'MODEL_INVALID',
          `vae decoder returned ${decoded.length} values for a ${width}×${height} image`,
        );
      }
      const loadMs = item.loadMs ?? 0;
      results[i] = {
        status: 'fulfilled',
        value: {
          pixels: toRgb(decoded, width, height),
          width,
          height,
          channels: 3,
          seed: item.request.seed,
          steps: total,
          guidanceScale: item.request.guidanceScale,
          scheduler: schedulerName,
          provider: model.provider,
          timings: {
            loadMs,
            textEncoderMs,
            denoiseMs,
            decodeMs: performance.now() - decodeStarted,
            totalMs: performance.now() - started + loadMs,
          },
        },
      };
    } catch (error) {
      results[i] = { status: 'rejected', reason: error };
    }
  }
  return results;
}

/** The UNet's inputs and the latent shape for a request; extra inputs must be the runtime LoRA's. */
function unetShape(model: LoadedModel, request: GenerateRequest) {
  const unetSpecs = inputSpecs(model.unet, 'unet');
  const sample = pickInput(unetSpecs, ['sample'], 0, 'unet');
  const timestep = pickInput(unetSpecs, ['timestep'], 1, 'unet');
  const context = pickInput(unetSpecs, ['encoder_hidden_states'], 2, 'unet');
  const lora = new Set<string>();
  if (model.unetLora) {
    lora.add(model.unetLora.scale.name);
    for (const t of model.unetLora.targets) lora.add(t.a.name).add(t.b.name);
  }
  const extra = [...unetSpecs.keys()].filter(
    (n) => ![sample.name, timestep.name, context.name].includes(n) && !lora.has(n),
  );
  if (extra.length > 0) {
    throw new DiffusionError(
      'MODEL_INVALID',
      `unet needs inputs this pipeline does not provide: ${extra.join(', ')}`,
    );
  }
  const channels = typeof sample.shape[1] === 'number' ? sample.shape[1] : 4;
  const latentH = request.height / 8;
  const latentW = request.width / 8;
  checkFixedDims(sample, latentH, latentW);
  return {
    channels,
    latentH,
    latentW,
    inputs: { sample, timestep, context },
    tokens: model.tokenizer.contextLength,
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
