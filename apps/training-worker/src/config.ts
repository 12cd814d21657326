import type { ExecutionProviderConfig } from '@stylelicense/diffusion';
/** Which trainer this host runs: `onnx` in-process, `kohya` sd-scripts, `none` fails every job at once with NO_TRAINER_ENGINE. */
export type TrainerSettings =
  | { readonly engine: 'none' }
  | {
      readonly engine: 'onnx';
      /** Optimum ONNX export with vae_encoder; unset = the synthetic tiny model under DATA_DIR/models/tiny. */
      readonly modelDir?: string;
      readonly dataDir: string;
      /** Training pixels for a 512-px bucket side. */
      readonly resolution: number;
      readonly maxSteps?: number;
      /** Denoising steps of the picture drawn at an epoch's end (at most 10 a run); 0 draws none. */
      readonly sampleSteps?: number;
      /** Where encoding, training and samples run; default the CPU. */
      readonly provider?: ExecutionProviderConfig;
    }
  | {
      readonly engine: 'kohya';
      /** The sd-scripts virtualenv's python. */
      readonly pythonExecutable: string;
      readonly sdScriptsDir: string;
      /** Stable Diffusion 1.5 checkpoint file or diffusers folder. */
      readonly baseModelPath: string;
      readonly cudaVisibleDevices?: string;
      /** The trainer's environment (PATH, HOME, HF caches…), never the worker's secrets. */
      readonly environment: Readonly<Record<string, string | undefined>>;
    };

/** What a running training worker needs, however it was started (process env or the embedded API). */
export interface TrainingWorkerConfig {
  /** Names this worker in logs and in the `started` report (the API's lease holder). */
  readonly workerId: string;
  /** The API origin the webhooks go to, e.g. `http://127.0.0.1:3000`. */
  readonly apiUrl: string;
  /** `whsec_…` secret of the `training` webhook source. */
  readonly webhookSecret: string;
  /** Undelivered completion/failure reports wait here and are replayed in order. */
  readonly spoolDir: string;
  /** Scratch space, one folder per job (`job-*`), removed when the job ends; one WORK_DIR per worker. */
  readonly workDir: string;
  readonly trainer: TrainerSettings;
  /** Hard limit for one training run (→ TIMEOUT, not retried). */
  readonly jobTimeLimitMs: number;
  /** A progress report goes out at least this often, the last one re-sent during silent phases (≤ 30 s). */
  readonly progressHeartbeatMs: number;
  /** Step reports closer together than this are coalesced into the next one. */
  readonly progressIntervalMs: number;
  /** On shutdown, how long the job in hand may run before it is stopped and handed back to the queue. */
  readonly shutdownGraceMs: number;
  /**
   * Queue tries before a retryable failure becomes final; read from the broker's topology when it
   * exposes one (both drivers do), this is the fallback. Must match the broker's `maxAttempts`.
   */
  readonly maxAttempts: number;
}

/** Minimal structured logger (pino-compatible: fields first, then the message). */
export type { WorkerLog } from '@stylelicense/worker-runtime';

/** The lease the API grants per `started`/progress report: several missed heartbeats, never under 60 s. */
export function leaseSecondsFor(config: Pick<TrainingWorkerConfig, 'progressHeartbeatMs'>): number {
  return Math.min(3600, Math.max(60, Math.ceil((6 * config.progressHeartbeatMs) / 1000)));
}
