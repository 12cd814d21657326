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
export async function publishAll(
  bus: EventBus,
  events: Array<DomainEvent | null | undefined>,
): Promise<void> {
  for (const event of events) if (event) await bus.publish(topicOf(event), event);
}

interface Waiter {
  push: (event: BusEvent) => void;
  /** Re-check whether the subscription should end (bus closed, signal aborted). */
  wake: () => void;
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
    while (buffer.length > (this.options.replaySize ?? 100) || (buffer[0] && buffer[0].at < oldest))
      buffer.shift();
    this.recent.set(topic, buffer);
    for (const waiter of this.waiters.get(topic) ?? []) waiter.push(entry);
  }

  /** Registers at once (events published before the first `next()` are kept), ends on abort, close or `return()`. */
  subscribe(topic: string, { fromId, signal }: SubscribeOptions = {}): AsyncIterable<BusEvent> {
    const queue: BusEvent[] = (
      fromId ? (this.recent.get(topic) ?? []).filter((entry) => entry.id > fromId) : []
    ).map(({ id, event }) => ({
      id,
      topic,
      event,
    }));
    let wake: (() => void) | undefined;
    let ended = false;
    const waiter: Waiter = {
      push(entry) {
        queue.push({ id: entry.id, topic: entry.topic, event: entry.event });
        wake?.();
      },
      wake: () => wake?.(),
    };
    const set = this.waiters.get(topic) ?? new Set<Waiter>();
    set.add(waiter);
    this.waiters.set(topic, set);
    signal?.addEventListener('abort', waiter.wake);
    const end = (): IteratorReturnResult<undefined> => {
      if (!ended) {
        ended = true;
        set.delete(waiter);
        if (set.size === 0 && this.waiters.get(topic) === set) this.waiters.delete(topic);
        signal?.removeEventListener('abort', waiter.wake);
      }
      return { done: true, value: undefined };
    };
    const iterator: AsyncIterator<BusEvent> = {
      next: async () => {
        for (;;) {
          if (ended || this.closed || signal?.aborted) return end();
          const item = queue.shift();
          if (item) return { done: false, value: item };
          await new Promise<void>((resolve) => (wake = resolve));
          wake = undefined;
        }
      },
      return: async () => end(),
    };
    return { [Symbol.asyncIterator]: () => iterator };
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const set of this.waiters.values()) for (const waiter of set) waiter.wake();
    this.waiters.clear();
  }
}

/**
 * A subscription for one client: subscribes first, so nothing published while `authorize` runs is
 * missed, then checks the caller may watch (throwing ends the subscription), then yields events.
 */
export async function* authorizedStream(
  bus: EventBus,
  topic: string,
  options: SubscribeOptions,
  authorize: () => Promise<unknown>,
): AsyncGenerator<BusEvent> {
  const iterator = bus.subscribe(topic, options)[Symbol.asyncIterator]();
  try {
    await authorize();
    for (;;) {
      const next = await iterator.next();
      if (next.done) return;
      yield next.value;
    }
  } finally {
    await iterator.return?.();
  }
}
