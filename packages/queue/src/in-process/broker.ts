import { randomUUID } from 'node:crypto';
import { DomainError } from '@stylelicense/contracts';
import { errorSummary, failureOutcome } from '../outcome';
import {
  ATTEMPT_HEADER,
  consumableQueue,
  LAST_ERROR_HEADER,
  PARKED_REASON_HEADER,
  parkingQueueOf,
  publishTarget,
  resolveTopology,
  type Topology,
  type TopologyOptions,
} from '../topology';
import type {
  Broker,
  BrokerHealth,
  ConsumeOptions,
  EventHandler,
  EventSubscription,
  JobConsumer,
  JobHandler,
  PublishOptions,
} from '../types';
import { settlesWithin } from '../wait';
import { InProcessHub, type LocalConsumer, type QueuedJob } from './hub';

export interface InProcessBrokerOptions extends TopologyOptions {
  /**
   * The hub to use. When absent, every broker of this process with the same prefix shares one
   * hub, so the API and the workers of the embedded default find each other's jobs.
   */
  hub?: InProcessHub;
}

export function createInProcessHub(options: TopologyOptions = {}): InProcessHub {
  return new InProcessHub(resolveTopology(options));
}

const processHubs = new Map<string, { hub: InProcessHub; users: number }>();

function acquireProcessHub(options: TopologyOptions): { hub: InProcessHub; release(): void } {
  const topology = resolveTopology(options);
  let entry = processHubs.get(topology.prefix);
  if (entry && JSON.stringify(entry.hub.topology) !== JSON.stringify(topology)) {
    throw new DomainError(
      'VALIDATION_ERROR',
      `in-process queues under prefix "${topology.prefix}" already exist with another topology (retry delays, limits)`,
    );
  }
  if (!entry) {
    entry = { hub: new InProcessHub(topology), users: 0 };
    processHubs.set(topology.prefix, entry);
  }
  entry.users += 1;
  const held = entry;
  return {
    hub: held.hub,
    release() {
      held.users -= 1;
      if (held.users > 0) return;
      // The last broker of the process is gone: drop pending retries with the queues.
      held.hub.shutdown();
      processHubs.delete(topology.prefix);
    },
  };
}

/** Everything one in-process broker holds; the functions below share it. */
interface InProcessState {
  readonly hub: InProcessHub;
  readonly topology: Topology;
  /** The process-wide hub this broker holds a share of; undefined with a hub of its own. */
  readonly shared: { release(): void } | undefined;
  readonly consumers: Set<ConsumerState>;
  closed: boolean;
}

/** One consumer of a job queue (or its parking queue). */
interface ConsumerState {
  readonly broker: InProcessState;
  readonly queue: string;
  readonly jobQueue: string;
  readonly parking: boolean;
  readonly handler: JobHandler;
  readonly local: LocalConsumer;
  readonly inFlight: Map<QueuedJob, Promise<void>>;
  /** A job is settled once: acked (done, claimed, rerouted) or handed back after a kill. */
  readonly settled: Set<QueuedJob>;
}

/**
 * The embedded default: same semantics as the RabbitMQ driver (retry tiers, parking,
 * redelivery of unsettled jobs, topic events), in memory. Jobs do not survive a process exit;
 * the outbox (or a resubmission of unfinished work at start-up) covers that in embedded mode.
 */
export function createInProcessBroker(options: InProcessBrokerOptions = {}): Broker & { hub: InProcessHub } {
  const shared = options.hub ? undefined : acquireProcessHub(options);
  const hub = options.hub ?? (shared as { hub: InProcessHub }).hub;
  const state: InProcessState = { hub, topology: hub.topology, shared, consumers: new Set(), closed: false };

  return {
    driver: 'in-process',
    hub,
    publish: (queue, message, publishOptions) => publish(state, queue, message, publishOptions),
    consume: (queue, handler, consumeOptions) => consume(state, queue, handler, consumeOptions),
    publishEvent: (routingKey, event) => publishEvent(state, routingKey, event),
    subscribeEvents: (pattern, handler) => subscribeEvents(state, pattern, handler),
    checkHealth: () => checkHealth(state),
    queueStats: (queue) => Promise.resolve(hub.stats(queue)),
    close: (closeOptions) => close(state, closeOptions),
  };
}

function assertOpen(state: InProcessState): void {
  if (state.closed) throw new DomainError('QUEUE_CLOSED', 'the broker connection is closed');
}

async function publish(
  state: InProcessState,
  queue: string,
  message: unknown,
  publishOptions: PublishOptions = {},
): Promise<void> {
  assertOpen(state);
  const target = publishTarget(state.topology, queue, publishOptions.delayMs);
  const job: QueuedJob = {
    body: JSON.stringify(message),
    messageId: publishOptions.messageId ?? randomUUID(),
    headers: { ...publishOptions.headers },
    deliveryCount: 0,
  };
  state.hub.enqueue(queue, job, target === queue ? 0 : publishOptions.delayMs);
}

async function consume(
  state: InProcessState,
  queue: string,
  handler: JobHandler,
  consumeOptions: ConsumeOptions = {},
): Promise<JobConsumer> {
  assertOpen(state);
  const { jobQueue, parking } = consumableQueue(state.topology, queue);
  const consumer: ConsumerState = {
    broker: state,
    queue,
    jobQueue,
    parking,
    handler,
    local: {
      prefetch: consumeOptions.prefetch ?? 1,
      inFlight: 0,
      cancelled: false,
      deliver: (job) => deliver(consumer, job),
    },
    inFlight: new Map(),
    settled: new Set(),
  };
  state.consumers.add(consumer);
  state.hub.addConsumer(queue, consumer.local);
  return { queue, cancel: (cancelOptions) => cancel(consumer, cancelOptions) };
}

function deliver(consumer: ConsumerState, job: QueuedJob): void {
  const running = run(consumer, job).finally(() => consumer.inFlight.delete(job));
  consumer.inFlight.set(job, running);
}

function settle(consumer: ConsumerState, job: QueuedJob): boolean {
  if (consumer.settled.has(job)) return false;
  consumer.settled.add(job);
  return true;
}

async function run(consumer: ConsumerState, job: QueuedJob): Promise<void> {
  const attempt = Number(job.headers[ATTEMPT_HEADER] ?? 1);
  let claimed = false;
  const delivery = {
    body: JSON.parse(job.body) as unknown,
    messageId: job.messageId,
    headers: { ...job.headers },
    attempt,
    deliveryCount: job.deliveryCount,
    get claimed() {
      return claimed;
    },
    async claim() {
      if (!claimed && settle(consumer, job)) claimed = true;
    },
  };
  try {
    await consumer.handler(delivery);
    settle(consumer, job);
  } catch (error) {
    // After a kill the job was handed back already; a claimed job is ours to reroute.
    if (claimed || settle(consumer, job)) reroute(consumer, job, attempt, error);
  } finally {
    consumer.local.inFlight -= 1;
    consumer.broker.hub.dispatch(consumer.queue);
  }
}

function reroute(consumer: ConsumerState, job: QueuedJob, attempt: number, error: unknown): void {
  const { hub, topology } = consumer.broker;
  if (consumer.parking) {
    hub.requeue(consumer.queue, job);
    return;
  }
  const outcome = failureOutcome(error, attempt, topology.retryDelaysMs, topology.maxAttempts);
  const headers = { ...job.headers, [LAST_ERROR_HEADER]: errorSummary(error) };
  if (outcome.action === 'retry') {
    hub.enqueue(
      consumer.jobQueue,
      { ...job, deliveryCount: 0, headers: { ...headers, [ATTEMPT_HEADER]: attempt + 1 } },
      outcome.delayMs,
    );
  } else {
    hub.enqueue(parkingQueueOf(consumer.jobQueue), {
      ...job,
      deliveryCount: 0,
      headers: { ...headers, [PARKED_REASON_HEADER]: outcome.reason },
    });
  }
}

// As with a quorum queue's x-delivery-limit: a job returned unsettled more often than the
// limit (a poison job that keeps killing its consumer) is parked instead of redelivered.
function handBack(consumer: ConsumerState, job: QueuedJob): void {
  const { hub, topology } = consumer.broker;
  if (consumer.parking || job.deliveryCount <= topology.deliveryLimit) {
    hub.requeue(consumer.queue, job);
    return;
  }
  hub.enqueue(parkingQueueOf(consumer.jobQueue), {
    ...job,
    deliveryCount: 0,
    headers: { ...job.headers, [PARKED_REASON_HEADER]: 'delivery-limit' },
  });
}

async function cancel(consumer: ConsumerState, cancelOptions: { graceMs?: number } = {}): Promise<void> {
  if (consumer.local.cancelled) return;
  consumer.local.cancelled = true;
  consumer.broker.hub.removeConsumer(consumer.queue, consumer.local);
  const graceMs = cancelOptions.graceMs ?? 30_000;
  const finished = await settlesWithin(Promise.all(consumer.inFlight.values()), graceMs);
  if (!finished) {
    // Like a closed channel: unsettled jobs go back to the queue for another consumer.
    for (const job of consumer.inFlight.keys()) if (settle(consumer, job)) handBack(consumer, job);
  }
  consumer.broker.consumers.delete(consumer);
}

async function publishEvent(state: InProcessState, routingKey: string, event: unknown): Promise<void> {
  assertOpen(state);
  state.hub.emit(routingKey, JSON.stringify(event));
}

async function subscribeEvents(
  state: InProcessState,
  pattern: string,
  handler: EventHandler,
): Promise<EventSubscription> {
  assertOpen(state);
  const subscription = state.hub.subscribe(pattern, handler);
  return { pattern, unsubscribe: async () => state.hub.unsubscribe(subscription) };
}

async function checkHealth(state: InProcessState): Promise<BrokerHealth> {
  return state.closed
    ? { ok: false, driver: 'in-process', latencyMs: 0, error: 'closed' }
    : { ok: true, driver: 'in-process', latencyMs: 0 };
}

async function close(state: InProcessState, closeOptions: { graceMs?: number } = {}): Promise<void> {
  if (state.closed) return;
  state.closed = true;
  await Promise.all([...state.consumers].map((consumer) => cancel(consumer, closeOptions)));
  state.shared?.release();
}
