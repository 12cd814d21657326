import type { DiffusionErrorCode } from '../pipeline/errors';
import type { DiffusionEngineOptions, EngineCacheCounts } from '../pipeline/engine';
import type { GenerateRequest, GeneratedImage, GenerationProgress } from '../pipeline/requests';

/** What the inference thread is started with (structured-clonable: no logger functions). */
export type ThreadOptions = Omit<DiffusionEngineOptions, 'logger'>;

export type ToThread =
  | { type: 'generate'; id: number; request: GenerateRequest }
  | { type: 'preload'; id: number; modelDir: string; lora?: GenerateRequest['lora'] }
  | { type: 'cancel'; id: number }
  | { type: 'close' };

export interface SerializedError {
  code: DiffusionErrorCode;
  message: string;
  retryable: boolean;
}

export type FromThread =
  | { type: 'ready'; threadId: number }
  | { type: 'progress'; id: number; progress: GenerationProgress }
  /** The thread's cache counts, sent before each request's answer so they are current when it resolves. */
  | { type: 'caches'; counts: EngineCacheCounts }
  | { type: 'result'; id: number; image: GeneratedImage }
  | { type: 'done'; id: number }
  | { type: 'error'; id: number; error: SerializedError }
  | { type: 'log'; level: 'info' | 'warn'; message: string; fields?: Record<string, unknown> }
  | { type: 'closed' };
