import { DomainError } from '@stylelicense/contracts';

export const JOB_QUEUES = { training: 'jobs.training', generation: 'jobs.generation' } as const;
export type JobQueueName = (typeof JOB_QUEUES)[keyof typeof JOB_QUEUES];

export const EVENTS_EXCHANGE = 'events';
export const ATTEMPT_HEADER = 'x-attempt';
export const PARKED_REASON_HEADER = 'x-parked-reason';
export const LAST_ERROR_HEADER = 'x-last-error';

export function parkingQueueOf(queue: string): string {
  return `${queue}.parking`;
}

export function retryQueueOf(queue: string, delayMs: number): string {
  return `${queue}.retry.${delayMs}ms`;
}

export interface TopologyOptions {
  /** Prepended to every queue and exchange name (tests use a unique one per run). */
  prefix?: string;
  /** Job queues to declare; default both product queues. */
  queues?: readonly string[];
  /** Retry tier delays; default 30 s then 120 s. */
  retryDelaysMs?: readonly number[];
  /** Tries before a job that keeps failing is parked; default 3. */
  maxAttempts?: number;
  /** Broker deliveries (crashed consumers) before a poison job is parked; default 5. */
  deliveryLimit?: number;
  /**
   * How RabbitMQ moves expired retries and poison jobs: `at-least-once` (default) survives a
   * broker crash mid-move; `at-most-once` is the broker's older, simpler mode. See README.
   */
  deadLetterStrategy?: 'at-least-once' | 'at-most-once';
}

export interface Topology {
  prefix: string;
  queues: readonly string[];
  retryDelaysMs: readonly number[];
  maxAttempts: number;
  deliveryLimit: number;
  deadLetterStrategy: 'at-least-once' | 'at-most-once';
}

export function resolveTopology(options: TopologyOptions): Topology {
  const topology: Topology = {
    prefix: options.prefix ?? '',
    queues: options.queues ?? Object.values(JOB_QUEUES),
    retryDelaysMs: options.retryDelaysMs ?? [30_000, 120_000],
    maxAttempts: options.maxAttempts ?? 3,
    deliveryLimit: options.deliveryLimit ?? 5,
    deadLetterStrategy: options.deadLetterStrategy ?? 'at-least-once',
  };
  if (topology.retryDelaysMs.some((delay) => !Number.isInteger(delay) || delay <= 0)) {
    throw new DomainError('VALIDATION_ERROR', 'retry delays must be positive whole milliseconds');
  }
  if (!Number.isInteger(topology.maxAttempts) || topology.maxAttempts < 1) {
    throw new DomainError('VALIDATION_ERROR', 'maxAttempts must be at least 1');
  }
  return topology;
}

/** Where a publish lands: the job queue itself, or the retry tier that releases it after delayMs. */
export function publishTarget(topology: Topology, queue: string, delayMs: number | undefined): string {
  if (!topology.queues.includes(queue)) {
    throw new DomainError(
      'QUEUE_UNROUTABLE',
      `unknown job queue "${queue}" (declared: ${topology.queues.join(', ')})`,
    );
  }
  if (!delayMs) return queue;
  if (!topology.retryDelaysMs.includes(delayMs)) {
    throw new DomainError(
      'VALIDATION_ERROR',
      `delayMs ${delayMs} is not a retry tier (tiers: ${topology.retryDelaysMs.join(', ')} ms)`,
    );
  }
  return retryQueueOf(queue, delayMs);
}

/** The job queue a consumable name belongs to (itself, or the queue it parks for). */
export function consumableQueue(topology: Topology, queue: string): { jobQueue: string; parking: boolean } {
  for (const jobQueue of topology.queues) {
    if (queue === jobQueue) return { jobQueue, parking: false };
    if (queue === parkingQueueOf(jobQueue)) return { jobQueue, parking: true };
  }
  throw new DomainError('QUEUE_UNROUTABLE', `unknown queue "${queue}"`);
}

/** AMQP topic matching: words split on ".", `*` = exactly one word, `#` = zero or more. */
export function topicMatches(pattern: string, routingKey: string): boolean {
  const patternWords = pattern.split('.');
  const keyWords = routingKey.split('.');
  const match = (p: number, k: number): boolean => {
    if (p === patternWords.length) return k === keyWords.length;
    const word = patternWords[p];
    if (word === '#') {
      for (let skip = k; skip <= keyWords.length; skip += 1) if (match(p + 1, skip)) return true;
      return false;
    }
    if (k === keyWords.length) return false;
    return (word === '*' || word === keyWords[k]) && match(p + 1, k + 1);
  };
  return match(0, 0);
}
