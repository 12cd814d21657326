import { isDomainError, JobFailure, type JobFailureCode } from '@stylelicense/contracts';
import { isStorageError } from '@stylelicense/storage';

// Node's fetch and sockets: the API or a store dropped the connection.
const NETWORK_CODES = /ECONNRESET|ECONNREFUSED|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN|UND_ERR/;

/**
 * Failures worth another queue attempt on a training job. Narrower than the codes' general
 * `retryable`: a run that hit its hours-long TIMEOUT would most likely hit it again, so it fails
 * at once; a trainer crash may be a passing driver or host problem, so it gets its tries.
 */
const RETRIED_FOR_TRAINING: ReadonlySet<JobFailureCode> = new Set([
  'GPU_OOM',
  'NETWORK',
  'STORAGE_UNAVAILABLE',
  'TRAINER_CRASHED',
  'INTERNAL',
]);

export function isRetriedForTraining(code: JobFailureCode): boolean {
  return RETRIED_FOR_TRAINING.has(code);
}

/** The job failure a thrown error stands for (a JobFailure keeps its own code). */
export function classifyFailure(error: unknown): JobFailure {
  if (error instanceof JobFailure) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (isStorageError(error)) {
    if (error.retryable) return new JobFailure('STORAGE_UNAVAILABLE', message, { cause: error });
    if (error.code === 'STORAGE_NOT_FOUND') {
      return new JobFailure(
        'LOW_QUALITY_DATA',
        `an artwork is missing from storage (${error.key ?? message})`,
        { cause: error },
      );
    }
    return new JobFailure('INTERNAL', message, { cause: error });
  }
  // The API could not be reached through all of the sender's retries.
  if (isDomainError(error, 'WEBHOOK_DELIVERY_FAILED'))
    return new JobFailure('NETWORK', message, { cause: error });
  const code =
    (error as { code?: unknown; cause?: { code?: unknown } } | null)?.cause?.code ??
    (error as { code?: unknown })?.code;
  if (typeof code === 'string' && NETWORK_CODES.test(code))
    return new JobFailure('NETWORK', message, { cause: error });
  return new JobFailure('INTERNAL', message, { cause: error });
}
