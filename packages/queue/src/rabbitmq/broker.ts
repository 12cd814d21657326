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
  ConsumeOptions,
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

export async function createRabbitBroker(options: RabbitBrokerOptions): Promise<RabbitBroker> {
  const topology = resolveTopology(options);
  const exchange = eventsExchangeName(topology);
  const emit = (event: RabbitConnectionEvent) => options.onEvent?.(event);
  const consumers = new Set<RabbitConsumer>();
  let model: ChannelModel | undefined;
  let connectCount = 0;
  let closing = false;

  // Channels that close on their own (not with the connection) are reopened on the live connection.
  const reattach = (what: { attach(model: ChannelModel): Promise<void> }) => {
    const current = model;
    if (!current || closing) return;
    setTimeout(() => {
      if (model !== current || closing) return;
      what.attach(current).catch((error: unknown) => emit({ type: 'reattach-failed', error: String(error) }));
    }, 100);
  };

  const publisher = new ConfirmPublisher(options.publishTimeoutMs ?? 30_000, () => reattach(publisher));
  const events = new EventSubscriber(exchange, topology.prefix, () => reattach(events));

  // amqplib ≥ 2.1 reconnects by itself (`recovery`); channels, consumers and the
  // topology are ours to rebuild on every new connection.
  const connection: RecoveringChannelModel = await amqplib.connect(options.url, {
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

  connection.on('connect', (fresh: ChannelModel) => {
    model = fresh;
    connectCount += 1;
    emit({ type: 'connected' });
    const parts = [publisher, events, ...consumers];
    for (const part of parts)
      part.attach(fresh).catch((error: unknown) => emit({ type: 'reattach-failed', error: String(error) }));
  });
  connection.on('disconnect', (error: Error) => {
    model = undefined;
    emit({ type: 'disconnected', error: error.message });
  });
  connection.on('connect-failed', (error: Error) => emit({ type: 'connect-failed', error: error.message }));
  connection.on('reconnect-scheduled', (info: { attempt: number; delay: number }) =>
    emit({ type: 'reconnect-scheduled', attempt: info.attempt, delayMs: info.delay }),
  );
  connection.on('blocked', (reason: string) => {
    publisher.setBlocked(true);
    emit({ type: 'blocked', reason });
  });
  connection.on('unblocked', () => {
    publisher.setBlocked(false);
    emit({ type: 'unblocked' });
  });
  connection.on('error', () => undefined); // surfaced through 'disconnect'

  try {
    await connection.waitForConnect();
    await publisher.attach(model ?? (await waitForModel()));
  } catch (error) {
    await connection.close().catch(() => undefined);
    throw new DomainError('QUEUE_UNAVAILABLE', `cannot connect to RabbitMQ: ${String(error)}`, undefined, {
      cause: error,
    });
  }

  async function waitForModel(): Promise<ChannelModel> {
    return new Promise((resolve) => connection.once('connect', resolve));
  }

  function assertOpen(): void {
    if (closing) throw new DomainError('QUEUE_CLOSED', 'the broker connection is closed');
  }

  return {
    driver: 'rabbitmq',
    topology,
    get connectCount() {
      return connectCount;
    },
    publisherStats: publisher.stats,

    publish(queue: string, message: unknown, publishOptions: PublishOptions = {}): Promise<void> {
      let target: string;
      let content: Buffer;
      try {
        assertOpen();
        target = topology.prefix + publishTarget(topology, queue, publishOptions.delayMs);
        content = Buffer.from(JSON.stringify(message));
      } catch (error) {
        return Promise.reject(error);
      }
      return publisher.publish('', target, content, {
        messageId: publishOptions.messageId ?? randomUUID(),
        headers: { [ATTEMPT_HEADER]: 1, ...publishOptions.headers },
        persistent: true,
        mandatory: true,
        contentType: 'application/json',
        timestamp: Math.floor(Date.now() / 1000),
      });
    },

    async consume(
      queue: string,
      handler: JobHandler,
      consumeOptions: ConsumeOptions = {},
    ): Promise<JobConsumer> {
      assertOpen();
      const { jobQueue, parking } = consumableQueue(topology, queue);
      const consumer = new RabbitConsumer(
        queue,
        topology.prefix + queue,
        jobQueue,
        parking,
        handler,
        consumeOptions.prefetch ?? 1,
        topology,
        publisher,
        (closed) => reattach(closed),
        (cancelled) => consumers.delete(cancelled),
      );
      consumers.add(consumer);
      if (model) await consumer.attach(model);
      return consumer;
    },

    async publishEvent(routingKey: string, event: unknown) {
      assertOpen();
      // Events are transient and need no listener; they are still confirmed.
      await publisher.publish(exchange, routingKey, Buffer.from(JSON.stringify(event)), {
        messageId: randomUUID(),
        persistent: false,
        mandatory: false,
        contentType: 'application/json',
      });
    },

    async subscribeEvents(pattern, handler): Promise<EventSubscription> {
      assertOpen();
      return events.subscribe(model, pattern, handler);
    },

    async checkHealth(): Promise<BrokerHealth> {
      const started = performance.now();
      const channel = publisher.currentChannel;
      if (closing || !channel) {
        return { ok: false, driver: 'rabbitmq', latencyMs: 0, error: closing ? 'closed' : 'not connected' };
      }
      try {
        await channel.checkExchange(exchange);
        return { ok: true, driver: 'rabbitmq', latencyMs: performance.now() - started };
      } catch (error) {
        return {
          ok: false,
          driver: 'rabbitmq',
          latencyMs: performance.now() - started,
          error: String(error),
        };
      }
    },

    async deleteTopology() {
      const current = model;
      if (!current) throw new DomainError('QUEUE_UNAVAILABLE', 'not connected to RabbitMQ');
      const channel = await current.createChannel();
      await deleteTopology(channel, topology);
      await channel.close();
    },

    async close(closeOptions = {}) {
      if (closing) return;
      await Promise.all([...consumers].map((consumer) => consumer.cancel(closeOptions)));
      closing = true;
      await events.close();
      publisher.close();
      await connection.close();
    },
  };
}
