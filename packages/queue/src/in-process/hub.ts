import type { EventHandler } from '../types';
import { topicMatches, type Topology } from '../topology';

// The in-process "broker": queues and the event bus live in one object that every
// InProcessBroker of the embedded process shares, like the real broker shared by processes.

export interface QueuedJob {
  body: string;
  messageId: string;
  headers: Record<string, unknown>;
  deliveryCount: number;
}

export interface LocalConsumer {
  prefetch: number;
  inFlight: number;
  cancelled: boolean;
  deliver(job: QueuedJob): void;
}

interface LocalQueue {
  ready: QueuedJob[];
  consumers: LocalConsumer[];
  next: number;
}

interface LocalSubscription {
  pattern: string;
  handler: EventHandler;
}

export class InProcessHub {
  private readonly queues = new Map<string, LocalQueue>();
  private readonly subscriptions = new Set<LocalSubscription>();
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor(readonly topology: Topology) {}

  private queue(name: string): LocalQueue {
    let queue = this.queues.get(name);
    if (!queue) {
      queue = { ready: [], consumers: [], next: 0 };
      this.queues.set(name, queue);
    }
    return queue;
  }

  enqueue(name: string, job: QueuedJob, delayMs = 0): void {
    if (delayMs > 0) {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        this.enqueue(name, job);
      }, delayMs);
      this.timers.add(timer);
      return;
    }
    this.queue(name).ready.push(job);
    this.dispatch(name);
  }

  /** Puts a job back at the head, as the broker does for an unacked delivery. */
  requeue(name: string, job: QueuedJob): void {
    this.queue(name).ready.unshift(job);
    this.dispatch(name);
  }

  stats(name: string): { messages: number; consumers: number } {
    const queue = this.queue(name);
    return {
      messages: queue.ready.length,
      consumers: queue.consumers.filter((consumer) => !consumer.cancelled).length,
    };
  }

  addConsumer(name: string, consumer: LocalConsumer): void {
    this.queue(name).consumers.push(consumer);
    this.dispatch(name);
  }

  removeConsumer(name: string, consumer: LocalConsumer): void {
    const queue = this.queue(name);
    queue.consumers = queue.consumers.filter((candidate) => candidate !== consumer);
  }

  /** Round-robin over consumers with a free prefetch slot. */
  dispatch(name: string): void {
    const queue = this.queue(name);
    while (queue.ready.length > 0) {
      const free = queue.consumers.filter(
        (consumer) => !consumer.cancelled && consumer.inFlight < consumer.prefetch,
      );
      if (free.length === 0) return;
      const consumer = free[queue.next % free.length] as LocalConsumer;
      queue.next += 1;
      const job = queue.ready.shift() as QueuedJob;
      consumer.inFlight += 1;
      job.deliveryCount += 1;
      consumer.deliver(job);
    }
  }

  depth(name: string): number {
    return this.queue(name).ready.length;
  }

  subscribe(pattern: string, handler: EventHandler): LocalSubscription {
    const subscription = { pattern, handler };
    this.subscriptions.add(subscription);
    return subscription;
  }

  unsubscribe(subscription: LocalSubscription): void {
    this.subscriptions.delete(subscription);
  }

  emit(routingKey: string, body: string): void {
    for (const subscription of this.subscriptions) {
      if (!topicMatches(subscription.pattern, routingKey)) continue;
      // Each subscriber gets its own copy, asynchronously, as over the network.
      queueMicrotask(() => {
        Promise.resolve()
          .then(() => subscription.handler(JSON.parse(body) as unknown, routingKey))
          .catch(() => undefined);
      });
    }
  }

  shutdown(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
  }
}
