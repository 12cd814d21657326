import type { TrainingSchedule } from './schedule';

/** What an engine needs to train one style from an already prepared dataset. */
export interface TrainingJob {
  readonly styleId: string;
  readonly styleName: string;
  readonly dataset: {
    /** The kohya image folder `<datasetDir>/<repeats>_<token>` holding `<name>.png` + `<name>.txt` pairs. */
    readonly imageDir: string;
    readonly token: string;
    readonly numRepeats: number;
    readonly imageCount: number;
  };
  /** A private scratch folder for this job: configs, logs and outputs go here. */
  readonly workDir: string;
  readonly seed: number;
  /** Per-style knobs from the job; an engine applies those it lists in `honouredOptions`. */
  readonly options?: JobTrainingOptions;
}

export interface JobTrainingOptions {
  readonly rank?: number;
  readonly learningRate?: number;
  readonly maxSteps?: number;
  /** Pixels of a 512-px bucket side at training time. */
  readonly resolution?: number;
}

/** The network an engine is expected to produce; artifact validation checks against it. */
export interface LoraNetworkSpec {
  readonly rank: number;
  readonly alpha: number;
  readonly learningRate: number;
  readonly trainTextEncoder: boolean;
}

/** Everything decided before training starts, inspectable (and testable) without running anything. */
export interface TrainingPlan {
  readonly engine: string;
  readonly job: TrainingJob;
  readonly schedule: TrainingSchedule;
  readonly network: LoraNetworkSpec;
  /** Where the adapter will be once training succeeds. */
  readonly artifactPath: string;
  /** The trainer's full output is kept here (uploaded beside the adapter as the training log). */
  readonly logPath: string;
}

export interface TrainingProgress {
  readonly step: number;
  readonly totalSteps: number;
  readonly epoch: number;
  readonly totalEpochs: number;
  /** 0–100, from steps. */
  readonly percent: number;
  /** Seconds left as the trainer estimates them; null until it knows. */
  readonly etaSeconds: number | null;
  /** The trainer's running average loss; null before the first step. */
  readonly loss: number | null;
  readonly elapsedSeconds: number;
}

export interface TrainingMetrics {
  readonly finalLoss: number | null;
  readonly steps: number;
  readonly totalSteps: number;
  readonly epochs: number;
  readonly durationSeconds: number;
  readonly rank: number;
  readonly imageCount: number;
}

export interface TrainingResult {
  /** A validated LoRA safetensors file. */
  readonly artifactPath: string;
  readonly logPath: string;
  readonly metrics: TrainingMetrics;
}

/** The adapter as it stood at an epoch's end, drawn once (first caption, the job's seed). */
export interface EpochSample {
  readonly epoch: number;
  /** A PNG. */
  readonly image: Buffer;
  readonly prompt: string;
  readonly seed: number;
}

export interface TrainOptions {
  /** Aborting kills the trainer; if the reason is a JobFailure it is rethrown, otherwise CANCELLED. */
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: TrainingProgress) => void;
  /**
   * Called with each epoch's sample image, by engines that draw them; training waits for it, so a
   * slow upload slows training rather than piling up images. A rejection is the caller's to log:
   * the engine goes on without that sample.
   */
  readonly onSample?: (sample: EpochSample) => Promise<void>;
  /** Overrides the engine's hard time limit for this run (→ TIMEOUT). */
  readonly timeLimitMs?: number;
}

/**
 * A way of turning a prepared dataset into a LoRA adapter. Failures are JobFailures:
 * NO_TRAINER_ENGINE, TRAINER_CRASHED, GPU_OOM, TIMEOUT, CANCELLED, ARTIFACT_INVALID.
 */
export interface TrainerEngine {
  readonly name: string;
  /** The job options (besides `seed`, which every engine applies) this engine honours. */
  readonly honouredOptions?: readonly (keyof JobTrainingOptions)[];
  /** Fails fast (NO_TRAINER_ENGINE, MODEL_NOT_FOUND) when this host cannot train, before any download. */
  checkReady(): Promise<void>;
  prepare(job: TrainingJob): Promise<TrainingPlan>;
  train(plan: TrainingPlan, options?: TrainOptions): Promise<TrainingResult>;
}
