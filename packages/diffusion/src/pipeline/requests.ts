// What a generation is asked for and what it gives back, and the loaded sessions it runs on.
import type { RuntimeLoraLayout, StyleFactors } from '../lora-runtime';
import type { SchedulerName } from '../schedulers';
import type { ClipTokenizer } from '../tokenizer/clip-tokenizer';
import type { ModelFolder } from './model-folder';
import type { InferenceSession } from './ort';

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
  /** Present when the session has runtime LoRA inputs (see src/lora-runtime). */
  unetLora?: RuntimeLoraLayout;
  textEncoderLora?: RuntimeLoraLayout;
}

/** One image of a batch: its request, hooks, and its style's factors per component. */
export interface BatchItem {
  request: GenerateRequest;
  hooks?: GenerateHooks;
  style?: { unet?: StyleFactors; textEncoder?: StyleFactors; strength: number };
  /** Time spent loading before this batch ran, reported in the image's timings. */
  loadMs?: number;
}
