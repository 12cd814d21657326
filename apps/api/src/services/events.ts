import { eventRoutingKey, type DomainEvent } from '@stylelicense/contracts';

/** One event as a subscriber receives it: `id` orders events within a topic and resumes a stream. */
export interface BusEvent {
  id: string;
  topic: string;
  event: DomainEvent;
}

export interface SubscribeOptions {
  /** Resume after this event id: buffered events newer than it are replayed first. */
  fromId?: string | null;
  /** Ends the subscription (the iterator returns). */
  signal?: AbortSignal;
}

/**
 * Live updates (progress, notifications) from whoever causes them to whoever watches. Topics are
 * `<event type>.<owner user id>` (`topicOf`), so a client subscribes only to its own events.
 * Publish after the causing transaction commits, never inside it.
 */
export interface EventBus {
  publish(topic: string, event: DomainEvent): Promise<void>;
  subscribe(topic: string, options?: SubscribeOptions): AsyncIterable<BusEvent>;
  close(): Promise<void>;
}

/** The topic an event belongs to (same as its routing key on the broker's `events` exchange). */
export function topicOf(event: Pick<DomainEvent, 'type' | 'ownerId'>): string {
  return eventRoutingKey(event);
}

/** Publishes each event on its own topic; for the events a transaction produced, after commit. */
export async function publishAll(bus: EventBus, events: Array<DomainEvent | null | undefined>): Promise<void> {
  for (const event of events) if (event) await bus.publish(topicOf(event), event);
}

interface Waiter {
  push(event: BusEvent): void;
  /** Re-check whether the subscription should end (bus closed, signal aborted). */
  wake(): void;
}

/**
 * The single-process bus: every API instance's own subscribers, with the last `replaySize` events
 * per topic kept (for `replayMs`) so a reconnecting client resumes where it stopped. Ids are a
 * process-wide sequence, zero-padded so they also compare as strings.
 */
export class InProcessEventBus implements EventBus {
  private sequence = 0;
  private readonly recent = new Map<string, Array<BusEvent & { at: number }>>();
  private readonly waiters = new Map<string, Set<Waiter>>();
  private closed = false;

  constructor(private readonly options: { replaySize?: number; replayMs?: number } = {}) {}

  async publish(topic: string, event: DomainEvent): Promise<void> {
    if (this.closed) return;
    const entry = { id: String(++this.sequence).padStart(12, '0'), topic, event, at: Date.now() };
    const buffer = this.recent.get(topic) ?? [];
    buffer.push(entry);
    const oldest = Date.now() - (this.options.replayMs ?? 5 * 60_000);
    while (buffer.length > (this.options.replaySize ?? 100) || (buffer[0] && buffer[0].at < oldest)) buffer.shift();
    this.recent.set(topic, buffer);
    for (const waiter of this.waiters.get(topic) ?? []) waiter.push(entry);
  }

  subscribe(topic: string, { fromId, signal }: SubscribeOptions = {}): AsyncIterable<BusEvent> {
    const waiters = this.waiters;
    const replay = fromId ? (this.recent.get(topic) ?? []).filter((entry) => entry.id > fromId) : [];
    const isClosed = () => this.closed || signal?.aborted === true;
    return {
      [Symbol.asyncIterator]: async function* () {
        const queue: BusEvent[] = replay.map(({ id, topic: t, event }) => ({ id, topic: t, event }));
        let wake: (() => void) | undefined;
        const waiter: Waiter = {
          push(entry) {
            queue.push({ id: entry.id, topic: entry.topic, event: entry.event });
            wake?.();
          },
          wake: () => wake?.(),
        };
        const onAbort = () => wake?.();
        signal?.addEventListener('abort', onAbort);
        const set = waiters.get(topic) ?? new Set<Waiter>();
        set.add(waiter);
        waiters.set(topic, set);
        try {
          while (!isClosed()) {
            const next = queue.shift();
            if (next) {
              yield next;
              continue;
            }
            await new Promise<void>((resolve) => (wake = resolve));
            wake = undefined;
          }
        } finally {
          set.delete(waiter);
          if (set.size === 0) waiters.delete(topic);
          signal?.removeEventListener('abort', onAbort);
        }
      },
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const set of this.waiters.values()) for (const waiter of set) waiter.wake();
    this.waiters.clear();
  }
}
