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
  type TopologyOptions,
} from '../topology';
import type {
  Broker,
  ConsumeOptions,
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

/**
 * The embedded default: same semantics as the RabbitMQ driver (retry tiers, parking,
 * redelivery of unsettled jobs, topic events), in memory. Jobs do not survive a process exit;
 * the outbox (or a resubmission of unfinished work at start-up) covers that in embedded mode.
 */
export function createInProcessBroker(options: InProcessBrokerOptions = {}): Broker & { hub: InProcessHub } {
  const shared = options.hub ? undefined : acquireProcessHub(options);
  const hub = options.hub ?? (shared as { hub: InProcessHub }).hub;
  const topology = hub.topology;
  const consumers = new Set<{ cancel(options?: { graceMs?: number }): Promise<void> }>();
  let closed = false;

  function assertOpen(): void {
    if (closed) throw new DomainError('QUEUE_CLOSED', 'the broker connection is closed');
  }

  async function consume(
    queue: string,
    handler: JobHandler,
    consumeOptions: ConsumeOptions = {},
  ): Promise<JobConsumer> {
    assertOpen();
    const { jobQueue, parking } = consumableQueue(topology, queue);
    const inFlight = new Map<QueuedJob, Promise<void>>();
    // A job is settled once: acked (done, claimed, rerouted) or handed back after a kill.
    const settled = new Set<QueuedJob>();
    const settle = (job: QueuedJob): boolean => {
      if (settled.has(job)) return false;
      settled.add(job);
      return true;
    };

    function reroute(job: QueuedJob, attempt: number, error: unknown): void {
      if (parking) {
        hub.requeue(queue, job);
        return;
      }
      const outcome = failureOutcome(error, attempt, topology.retryDelaysMs, topology.maxAttempts);
      const headers = { ...job.headers, [LAST_ERROR_HEADER]: errorSummary(error) };
      if (outcome.action === 'retry') {
        hub.enqueue(
          jobQueue,
          { ...job, deliveryCount: 0, headers: { ...headers, [ATTEMPT_HEADER]: attempt + 1 } },
          outcome.delayMs,
        );
      } else {
        hub.enqueue(parkingQueueOf(jobQueue), {
          ...job,
          deliveryCount: 0,
          headers: { ...headers, [PARKED_REASON_HEADER]: outcome.reason },
        });
      }
    }

    // As with a quorum queue's x-delivery-limit: a job returned unsettled more often than the
    // limit (a poison job that keeps killing its consumer) is parked instead of redelivered.
    function handBack(job: QueuedJob): void {
      if (parking || job.deliveryCount <= topology.deliveryLimit) {
        hub.requeue(queue, job);
        return;
      }
      hub.enqueue(parkingQueueOf(jobQueue), {
        ...job,
        deliveryCount: 0,
        headers: { ...job.headers, [PARKED_REASON_HEADER]: 'delivery-limit' },
      });
    }

    async function run(job: QueuedJob): Promise<void> {
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
          if (!claimed && settle(job)) claimed = true;
        },
      };
      try {
        await handler(delivery);
        settle(job);
      } catch (error) {
        // After a kill the job was handed back already; a claimed job is ours to reroute.
        if (claimed || settle(job)) reroute(job, attempt, error);
      } finally {
        consumer.inFlight -= 1;
        hub.dispatch(queue);
      }
    }

    const consumer: LocalConsumer = {
      prefetch: consumeOptions.prefetch ?? 1,
      inFlight: 0,
      cancelled: false,
      deliver(job) {
        const running = run(job).finally(() => inFlight.delete(job));
        inFlight.set(job, running);
      },
    };

    const handle: JobConsumer = {
      queue,
      async cancel(cancelOptions = {}) {
        if (consumer.cancelled) return;
        consumer.cancelled = true;
        hub.removeConsumer(queue, consumer);
        const graceMs = cancelOptions.graceMs ?? 30_000;
        const finished = await settlesWithin(Promise.all(inFlight.values()), graceMs);
        if (!finished) {
          // Like a closed channel: unsettled jobs go back to the queue for another consumer.
          for (const job of inFlight.keys()) if (settle(job)) handBack(job);
        }
        consumers.delete(handle);
      },
    };
    consumers.add(handle);
    hub.addConsumer(queue, consumer);
    return handle;
  }

  return {
    driver: 'in-process',
    hub,
    async publish(queue: string, message: unknown, publishOptions: PublishOptions = {}) {
      assertOpen();
      const target = publishTarget(topology, queue, publishOptions.delayMs);
      const job: QueuedJob = {
        body: JSON.stringify(message),
        messageId: publishOptions.messageId ?? randomUUID(),
        headers: { ...publishOptions.headers },
        deliveryCount: 0,
      };
      hub.enqueue(queue, job, target === queue ? 0 : publishOptions.delayMs);
    },
    consume,
    async publishEvent(routingKey: string, event: unknown) {
      assertOpen();
      hub.emit(routingKey, JSON.stringify(event));
    },
    async subscribeEvents(pattern, handler): Promise<EventSubscription> {
      assertOpen();
      const subscription = hub.subscribe(pattern, handler);
      return { pattern, unsubscribe: async () => hub.unsubscribe(subscription) };
    },
    async checkHealth() {
      return closed
        ? { ok: false, driver: 'in-process', latencyMs: 0, error: 'closed' }
        : { ok: true, driver: 'in-process', latencyMs: 0 };
    },
    async close(closeOptions = {}) {
      if (closed) return;
      closed = true;
      await Promise.all([...consumers].map((consumer) => consumer.cancel(closeOptions)));
      shared?.release();
    },
  };
}
