import { randomUUID } from 'node:crypto';
import { DomainError } from '@stylelicense/contracts';
import { ATTEMPT_HEADER, consumableQueue, publishTarget, resolveTopology, type Topology } from '../topology';
import type {
  Broker,
  BrokerHealth,
  QueueStats,
  ConsumeOptions,
  EventHandler,
  EventSubscription,
  JobConsumer,
  JobHandler,
  PublishOptions,
} from '../types';
import { RabbitConsumer } from './consumer';
import { EventSubscriber } from './events';
import { ConfirmPublisher } from './publisher';
import {
  firstConnection,
  followConnection,
  openConnection,
  reattach,
  type RabbitBrokerOptions,
  type RabbitState,
} from './connection';
import { deleteTopology, eventsExchangeName } from './topology';

export type { RabbitBrokerOptions, RabbitConnectionEvent } from './connection';

export interface RabbitBroker extends Broker {
  readonly topology: Topology;
  /** Times the connection was (re)established; 1 after the first connect. */
  readonly connectCount: number;
  /** Back-pressure and reconnect counters of the publisher (for metrics). */
  readonly publisherStats: Readonly<{ drainWaits: number; blockedWaits: number; republished: number }>;
  /** Deletes every queue and the exchange under this prefix (tests, teardown tooling). */
  deleteTopology(): Promise<void>;
}

export async function createRabbitBroker(options: RabbitBrokerOptions): Promise<RabbitBroker> {
  const topology = resolveTopology(options);
  const connection = await openConnection(options, topology);
  const state: RabbitState = {
    options,
    topology,
    exchange: eventsExchangeName(topology),
    connection,
    publisher: new ConfirmPublisher(options.publishTimeoutMs ?? 30_000, () =>
      reattach(state, state.publisher),
    ),
    events: new EventSubscriber(eventsExchangeName(topology), topology.prefix, () =>
      reattach(state, state.events),
    ),
    consumers: new Set(),
    model: undefined,
    connectCount: 0,
    closing: false,
  };
  followConnection(state);
  await firstConnection(state);

  return {
    driver: 'rabbitmq',
    topology,
    get connectCount() {
      return state.connectCount;
    },
    publisherStats: state.publisher.stats,
    publish: (queue, message, publishOptions) => publishJob(state, queue, message, publishOptions),
    consume: (queue, handler, consumeOptions) => consume(state, queue, handler, consumeOptions),
    publishEvent: (routingKey, event) => publishEvent(state, routingKey, event),
    subscribeEvents: (pattern, handler) => subscribeEvents(state, pattern, handler),
    checkHealth: () => checkHealth(state),
    queueStats: (queue) => queueStats(state, queue),
    deleteTopology: () => removeTopology(state),
    close: (closeOptions) => close(state, closeOptions),
  };
}

function assertOpen(state: RabbitState): void {
  if (state.closing) throw new DomainError('QUEUE_CLOSED', 'the broker connection is closed');
}

function publishJob(
  state: RabbitState,
  queue: string,
  message: unknown,
  publishOptions: PublishOptions = {},
): Promise<void> {
  const { topology } = state;
  let target: string;
  let content: Buffer;
  try {
    assertOpen(state);
    target = topology.prefix + publishTarget(topology, queue, publishOptions.delayMs);
    content = Buffer.from(JSON.stringify(message));
  } catch (error) {
    // Not async on purpose (no extra await on the hot path): rejects with what was thrown, as an async function would.
    // eslint-disable-next-line @typescript-eslint/prefer-promise-reject-errors
    return Promise.reject(error);
  }
  return state.publisher.publish('', target, content, {
    messageId: publishOptions.messageId ?? randomUUID(),
    headers: { [ATTEMPT_HEADER]: 1, ...publishOptions.headers },
    persistent: true,
    mandatory: true,
    contentType: 'application/json',
    timestamp: Math.floor(Date.now() / 1000),
  });
}

async function consume(
  state: RabbitState,
  queue: string,
  handler: JobHandler,
  consumeOptions: ConsumeOptions = {},
): Promise<JobConsumer> {
  assertOpen(state);
  const { topology } = state;
  const { jobQueue, parking } = consumableQueue(topology, queue);
  const consumer = new RabbitConsumer(
    queue,
    topology.prefix + queue,
    jobQueue,
    parking,
    handler,
    consumeOptions.prefetch ?? 1,
    topology,
    state.publisher,
    (closed) => reattach(state, closed),
    (cancelled) => state.consumers.delete(cancelled),
  );
  state.consumers.add(consumer);
  if (state.model) await consumer.attach(state.model);
  return consumer;
}

async function publishEvent(state: RabbitState, routingKey: string, event: unknown): Promise<void> {
  assertOpen(state);
  // Events are transient and need no listener; they are still confirmed.
  await state.publisher.publish(state.exchange, routingKey, Buffer.from(JSON.stringify(event)), {
    messageId: randomUUID(),
    persistent: false,
    mandatory: false,
    contentType: 'application/json',
  });
}

async function subscribeEvents(
  state: RabbitState,
  pattern: string,
  handler: EventHandler,
): Promise<EventSubscription> {
  assertOpen(state);
  return state.events.subscribe(state.model, pattern, handler);
}

/** On a channel of its own: a failed check closes its channel, which must not be the publisher's. */
async function queueStats(state: RabbitState, queue: string): Promise<QueueStats> {
  if (state.closing || !state.model) throw new DomainError('QUEUE_UNAVAILABLE', 'not connected to RabbitMQ');
  const channel = await state.model.createChannel();
  try {
    const { messageCount, consumerCount } = await channel.checkQueue(state.topology.prefix + queue);
    return { messages: messageCount, consumers: consumerCount };
  } finally {
    await channel.close().catch(() => {});
  }
}

async function checkHealth(state: RabbitState): Promise<BrokerHealth> {
  const started = performance.now();
  const channel = state.publisher.currentChannel;
  if (state.closing || !channel) {
    return { ok: false, driver: 'rabbitmq', latencyMs: 0, error: state.closing ? 'closed' : 'not connected' };
  }
  try {
    await channel.checkExchange(state.exchange);
    return { ok: true, driver: 'rabbitmq', latencyMs: performance.now() - started };
  } catch (error) {
    return {
      ok: false,
      driver: 'rabbitmq',
      latencyMs: performance.now() - started,
      error: String(error),
    };
  }
}

async function removeTopology(state: RabbitState): Promise<void> {
  const current = state.model;
  if (!current) throw new DomainError('QUEUE_UNAVAILABLE', 'not connected to RabbitMQ');
  const channel = await current.createChannel();
  await deleteTopology(channel, state.topology);
  await channel.close();
}

async function close(state: RabbitState, closeOptions: { graceMs?: number } = {}): Promise<void> {
  if (state.closing) return;
  await Promise.all([...state.consumers].map((consumer) => consumer.cancel(closeOptions)));
  state.closing = true;
  await state.events.close();
  state.publisher.close();
  await state.connection.close();
}
