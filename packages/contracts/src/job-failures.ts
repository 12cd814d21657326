import { z } from 'zod';

// Why a training or generation job failed, and whether trying again can help.
// Workers classify; the API decides retry vs final failure from `retryable`.
export const JOB_FAILURE_CODES = {
  GPU_OOM: { retryable: true, description: 'the GPU ran out of memory' },
  TIMEOUT: { retryable: true, description: 'the job ran past its time limit' },
  NETWORK: { retryable: true, description: 'a network call failed' },
  STORAGE_UNAVAILABLE: { retryable: true, description: 'object storage could not be reached' },
  WORKER_SHUTDOWN: { retryable: true, description: 'the worker stopped before finishing' },
  TRAINER_CRASHED: { retryable: true, description: 'the trainer process exited unexpectedly' },
  INTERNAL: { retryable: true, description: 'an unexpected error in the worker' },
  BAD_PROMPT: { retryable: false, description: 'the prompt cannot be used' },
  MODEL_NOT_FOUND: { retryable: false, description: 'the base model or style model is missing' },
  LORA_INVALID: { retryable: false, description: 'the style adapter file is unreadable or incompatible' },
  LOW_QUALITY_DATA: { retryable: false, description: 'too few usable training images' },
  NO_TRAINER_ENGINE: { retryable: false, description: 'no trainer engine configured on this host' },
  ARTIFACT_INVALID: { retryable: false, description: 'the trained adapter failed validation' },
  SIGNATURE_MISSING: {
    retryable: false,
    description: "the artist's signature image is missing or unreadable",
  },
  CANCELLED: { retryable: false, description: 'the job was cancelled' },
} as const satisfies Record<string, { retryable: boolean; description: string }>;

export type JobFailureCode = keyof typeof JOB_FAILURE_CODES;

export const jobFailureCodeSchema = z.enum(
  Object.keys(JOB_FAILURE_CODES) as [JobFailureCode, ...JobFailureCode[]],
);

export function isRetryableFailure(code: JobFailureCode): boolean {
  return JOB_FAILURE_CODES[code].retryable;
}

/** Thrown inside workers; carries the failure code the worker reports back. */
export class JobFailure extends Error {
  override readonly name = 'JobFailure';
  readonly code: JobFailureCode;
  readonly retryable: boolean;

  constructor(code: JobFailureCode, message?: string, options?: { cause?: unknown }) {
    super(message ?? JOB_FAILURE_CODES[code].description, options);
    this.code = code;
    this.retryable = JOB_FAILURE_CODES[code].retryable;
  }
}
