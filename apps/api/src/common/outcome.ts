import type { DomainEvent } from '@stylelicense/contracts';

/** What a worker's report did; the webhook adapter answers with it and publishes `events` after commit. */
export interface Outcome {
  /** applied: state changed; ignored: stale or out of order, nothing changed; duplicate: this webhook id was seen before. */
  result: 'applied' | 'ignored' | 'duplicate';
  reason?: string;
  /** Set when the report scheduled another attempt (through the outbox). */
  retry?: { attempt: number; delayMs: number };
  /** A finished job: how long since it was submitted. */
  durationSeconds?: number;
  /** The job is no longer wanted (its generation was cancelled): the worker should stop it. */
  stop?: true;
  events: DomainEvent[];
}
