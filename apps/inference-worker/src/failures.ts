import { isDomainError, JobFailure, type JobFailureCode } from '@stylelicense/contracts';
import { isDiffusionError, type DiffusionErrorCode } from '@stylelicense/diffusion';
import { isStorageError } from '@stylelicense/storage';

// How a failed generation is reported. The API decides retry vs final failure from the code's
// `retryable` (contracts' JOB_FAILURE_CODES): resource and transport trouble may pass, bad input,
// missing or broken models never will.

const DIFFUSION_FAILURES: Record<DiffusionErrorCode, JobFailureCode> = {
  OUT_OF_MEMORY: 'GPU_OOM',
  MODEL_NOT_FOUND: 'MODEL_NOT_FOUND',
  MODEL_INVALID: 'MODEL_NOT_FOUND',
  LORA_INVALID: 'LORA_INVALID',
  INVALID_INPUT: 'BAD_PROMPT',
  CANCELLED: 'CANCELLED',
  // Another host may have a working GPU; the API's attempt limit bounds the retries.
  CUDA_UNAVAILABLE: 'INTERNAL',
  INFERENCE_FAILED: 'INTERNAL',
};

// Node's fetch and sockets: the API or a store dropped the connection.
const NETWORK_CODES = /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|UND_ERR/;

/** The job failure a thrown error stands for (a JobFailure keeps its own code). */
export function classifyFailure(error: unknown): JobFailure {
  if (error instanceof JobFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isDiffusionError(error))
    return new JobFailure(DIFFUSION_FAILURES[error.code], message, { cause: error });
  if (isStorageError(error)) {
    return error.retryable
      ? new JobFailure('STORAGE_UNAVAILABLE', message, { cause: error })
      : new JobFailure('INTERNAL', message, { cause: error });
  }
  // A message that could not be read (validation, unsupported version): nothing to retry.
  if (isDomainError(error)) return new JobFailure('BAD_PROMPT', message, { cause: error });
  const code =
    (error as { code?: unknown; cause?: { code?: unknown } } | null)?.cause?.code ??
    (error as { code?: unknown })?.code;
  if (typeof code === 'string' && NETWORK_CODES.test(code))
    return new JobFailure('NETWORK', message, { cause: error });
  return new JobFailure('INTERNAL', message, { cause: error });
}

/** Storage errors while fetching an input the style or artist must have: missing = permanent. */
export function missingInput(
  error: unknown,
  code: 'MODEL_NOT_FOUND' | 'SIGNATURE_MISSING',
  what: string,
): unknown {
  if (isStorageError(error, 'STORAGE_NOT_FOUND') || isStorageError(error, 'STORAGE_INVALID_KEY')) {
    return new JobFailure(code, `${what} not found in storage (${error.key ?? error.message})`, {
      cause: error,
    });
  }
  return error;
}
