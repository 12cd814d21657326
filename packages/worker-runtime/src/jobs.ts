import type { Broker, JobDelivery } from '@stylelicense/queue';

export interface JobIntake {
  /** Jobs being worked on now (at most the prefetch). */
  readonly inHand: number;
  /**
   * No new jobs; the job in hand may finish within `graceMs`, after which the broker has it back
   * and the job's signal is aborted with `reason`. Resolves once the job's handler has returned.
   */
  stop(graceMs: number, reason: unknown): Promise<void>;
}

/**
 * Consumes `queue` one job at a time (prefetch 1: one job per GPU). `work` gets each delivery and
 * a signal that aborts when the worker stops with the job still in hand; what it throws goes to
 * the broker (retry tier or parking queue).
 */
export function takeJobsOneAtATime(
  broker: Pick<Broker, 'consume'>,
  queue: string,
  work: (delivery: JobDelivery, signal: AbortSignal) => Promise<void>,
): Promise<JobIntake> {
  return takeJobs(broker, queue, work, { prefetch: 1 });
}

/**
 * Consumes `queue` with up to `prefetch` jobs in hand at once, each worked on concurrently (the
 * inference worker batches them on one GPU); otherwise as takeJobsOneAtATime.
 */
export async function takeJobs(
  broker: Pick<Broker, 'consume'>,
  queue: string,
  work: (delivery: JobDelivery, signal: AbortSignal) => Promise<void>,
  options: { prefetch: number },
): Promise<JobIntake> {
  const shutdown = new AbortController();
  const inFlight = new Set<Promise<void>>();
  const consumer = await broker.consume(
    queue,
    async (delivery) => {
      const job = work(delivery, shutdown.signal);
      inFlight.add(job);
      try {
        await job;
      } finally {
        inFlight.delete(job);
      }
    },
    { prefetch: options.prefetch },
  );
  return {
    get inHand() {
      return inFlight.size;
    },
    async stop(graceMs, reason) {
      await consumer.cancel({ graceMs });
      shutdown.abort(reason);
      await Promise.allSettled([...inFlight]);
    },
  };
}

/** Rejects with the signal's reason as soon as it aborts (for calls that take no signal, such as storage). */
export function untilAborted<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
