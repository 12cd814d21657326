import { DomainError } from '@stylelicense/contracts';

/** The job failed for a reason that may go away: send it through the next retry tier. */
export class RetryableError extends Error {
  override readonly name = 'RetryableError';
}

/** Trying again cannot help: park the job for a human. */
export class PermanentError extends Error {
  override readonly name = 'PermanentError';
}

export type FailureOutcome =
  { action: 'retry'; delayMs: number } | { action: 'park'; reason: 'permanent-error' | 'max-attempts' };

/**
 * What to do with a job whose handler threw. Unknown errors are assumed transient (bounded by
 * maxAttempts); errors that say `retryable: false` (e.g. contracts' JobFailure) and DomainErrors
 * (bad or unsupported messages) are permanent.
 */
export function failureOutcome(
  error: unknown,
  attempt: number,
  retryDelaysMs: readonly number[],
  maxAttempts: number,
): FailureOutcome {
  const retryable =
    error instanceof PermanentError || error instanceof DomainError
      ? false
      : error instanceof RetryableError
        ? true
        : typeof (error as { retryable?: unknown })?.retryable === 'boolean'
          ? (error as { retryable: boolean }).retryable
          : true;
  if (!retryable) return { action: 'park', reason: 'permanent-error' };
  if (attempt >= maxAttempts || retryDelaysMs.length === 0) return { action: 'park', reason: 'max-attempts' };
  const tier = Math.min(attempt - 1, retryDelaysMs.length - 1);
  return { action: 'retry', delayMs: retryDelaysMs[tier] ?? 0 };
}

export function errorSummary(error: unknown): string {
  const text = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
  return text.slice(0, 500);
}
