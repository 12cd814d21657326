// The RabbitMQ connection one broker holds: its options, its shared state, and how it follows
// amqplib's reconnects (channels, consumers and the event subscriber are reattached each time).
import amqplib, { type ChannelModel, type RecoveringChannelModel } from 'amqplib';
import { DomainError } from '@stylelicense/contracts';
import type { Topology, TopologyOptions } from '../topology';
import type { RabbitConsumer } from './consumer';
import type { EventSubscriber } from './events';
import type { ConfirmPublisher } from './publisher';
import { assertTopology } from './topology';

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

/** Everything one RabbitMQ broker holds; the functions below share it. */
export interface RabbitState {
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

// amqplib ≥ 2.1 reconnects by itself (`recovery`); channels, consumers and the
// topology are ours to rebuild on every new connection.
export function openConnection(
  options: RabbitBrokerOptions,
  topology: Topology,
): Promise<RecoveringChannelModel> {
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

export function emit(state: RabbitState, event: RabbitConnectionEvent): void {
  state.options.onEvent?.(event);
}

// Channels that close on their own (not with the connection) are reopened on the live connection.
export function reattach(state: RabbitState, what: { attach(model: ChannelModel): Promise<void> }): void {
  const current = state.model;
  if (!current || state.closing) return;
  setTimeout(() => {
    if (state.model !== current || state.closing) return;
    what
      .attach(current)
      .catch((error: unknown) => emit(state, { type: 'reattach-failed', error: String(error) }));
  }, 100);
}

export function followConnection(state: RabbitState): void {
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

export async function firstConnection(state: RabbitState): Promise<void> {
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
