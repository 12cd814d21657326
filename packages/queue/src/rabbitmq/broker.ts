import { randomUUID } from 'node:crypto';
import amqplib, { type ChannelModel, type RecoveringChannelModel } from 'amqplib';
import { DomainError } from '@stylelicense/contracts';
import {
  ATTEMPT_HEADER,
  consumableQueue,
  publishTarget,
  resolveTopology,
  type Topology,
  type TopologyOptions,
} from '../topology';
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
import { assertTopology, deleteTopology, eventsExchangeName } from './topology';

export interface RabbitBrokerOptions extends TopologyOptions {
  /** amqp://user:pass@host:5672/vhost */
  url: string;
  /** Shown in the management UI. */
  connectionName?: string;
  /** How long a publish may wait for a connection, drain, unblock and confirm; default 30 s. */
  publishTimeoutMs?: number;
  /**
   * Reconnect back-off (amqplib's `recovery` option): 100 ms doubling to 10 s, forever once
   * connected; the first connection gives up after `initialAttempts` (default 6) with QUEUE_UNAVAILABLE.
   */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number; initialAttempts?: number };
  /** Called for connection-level trouble worth logging (disconnects, reconnects, blocked). */
  onEvent?: (event: RabbitConnectionEvent) => void;
}

export type RabbitConnectionEvent =
  | { type: 'connected' }
  | { type: 'disconnected'; error: string }
  | { type: 'connect-failed'; error: string }
  | { type: 'reconnect-scheduled'; attempt: number; delayMs: number }
  | { type: 'blocked'; reason: string }
  | { type: 'unblocked' }
  | { type: 'reattach-failed'; error: string };

export interface RabbitBroker extends Broker {
  readonly topology: Topology;
  /** Times the connection was (re)established; 1 after the first connect. */
  readonly connectCount: number;
  /** Back-pressure and reconnect counters of the publisher (for metrics). */
  readonly publisherStats: Readonly<{ drainWaits: number; blockedWaits: number; republished: number }>;
  /** Deletes every queue and the exchange under this prefix (tests, teardown tooling). */
  deleteTopology(): Promise<void>;
}

/** Everything one RabbitMQ broker holds; the functions below share it. */
interface RabbitState {
  readonly options: RabbitBrokerOptions;
  readonly topology: Topology;
  readonly exchange: string;
  readonly connection: RecoveringChannelModel;
  readonly publisher: ConfirmPublisher;
  readonly events: EventSubscriber;
  readonly consumers: Set<RabbitConsumer>;
  /** The live connection's channels; undefined while disconnected. */
  model: ChannelModel | undefined;
  connectCount: number;
  closing: boolean;
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

// amqplib ≥ 2.1 reconnects by itself (`recovery`); channels, consumers and the
// topology are ours to rebuild on every new connection.
function openConnection(options: RabbitBrokerOptions, topology: Topology): Promise<RecoveringChannelModel> {
  return amqplib.connect(options.url, {
    clientProperties: { connection_name: options.connectionName ?? 'stylelicense' },
    // Without it Nagle's algorithm holds small frames (acks, single publishes) ~40 ms.
    noDelay: true,
    recovery: {
      initialDelay: options.reconnect?.initialDelayMs ?? 100,
      maxDelay: options.reconnect?.maxDelayMs ?? 10_000,
      initialMaxRetries: Math.max(0, (options.reconnect?.initialAttempts ?? 6) - 1),
      waitForConnect: false,
      setup: async (fresh: ChannelModel) => {
        // amqplib binds its own listeners only after setup; without this an error during
        // setup (e.g. the broker closing the connection) would be an uncaught exception.
        fresh.on('error', () => undefined);
        const channel = await fresh.createChannel();
        await assertTopology(channel, topology);
        await channel.close();
      },
    },
  });
}

function emit(state: RabbitState, event: RabbitConnectionEvent): void {
  state.options.onEvent?.(event);
}

// Channels that close on their own (not with the connection) are reopened on the live connection.
function reattach(state: RabbitState, what: { attach(model: ChannelModel): Promise<void> }): void {
  const current = state.model;
  if (!current || state.closing) return;
  setTimeout(() => {
    if (state.model !== current || state.closing) return;
    what
      .attach(current)
      .catch((error: unknown) => emit(state, { type: 'reattach-failed', error: String(error) }));
  }, 100);
}

function followConnection(state: RabbitState): void {
  const { connection, publisher } = state;
  connection.on('connect', (fresh: ChannelModel) => {
    state.model = fresh;
    state.connectCount += 1;
    emit(state, { type: 'connected' });
    const parts = [publisher, state.events, ...state.consumers];
    for (const part of parts)
      part
        .attach(fresh)
        .catch((error: unknown) => emit(state, { type: 'reattach-failed', error: String(error) }));
  });
  connection.on('disconnect', (error: Error) => {
    state.model = undefined;
    emit(state, { type: 'disconnected', error: error.message });
  });
  connection.on('connect-failed', (error: Error) =>
    emit(state, { type: 'connect-failed', error: error.message }),
  );
  connection.on('reconnect-scheduled', (info: { attempt: number; delay: number }) =>
    emit(state, { type: 'reconnect-scheduled', attempt: info.attempt, delayMs: info.delay }),
  );
  connection.on('blocked', (reason: string) => {
    publisher.setBlocked(true);
    emit(state, { type: 'blocked', reason });
  });
  connection.on('unblocked', () => {
    publisher.setBlocked(false);
    emit(state, { type: 'unblocked' });
  });
  connection.on('error', () => undefined); // surfaced through 'disconnect'
}

async function firstConnection(state: RabbitState): Promise<void> {
  const { connection } = state;
  try {
    await connection.waitForConnect();
    await state.publisher.attach(state.model ?? (await nextModel(connection)));
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw new DomainError('QUEUE_UNAVAILABLE', `cannot connect to RabbitMQ: ${String(error)}`, undefined, {
      cause: error,
    });
  }
}

function nextModel(connection: RecoveringChannelModel): Promise<ChannelModel> {
  return new Promise((resolve) => connection.once('connect', resolve));
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
