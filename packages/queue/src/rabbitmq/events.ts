import { randomUUID } from 'node:crypto';
import type { Channel, ChannelModel } from 'amqplib';
import { topicMatches } from '../topology';
import type { EventHandler, EventSubscription } from '../types';

interface Subscription {
  pattern: string;
  handler: EventHandler;
}

/**
 * Each broker instance (one per API process) owns one exclusive, auto-deleted queue bound to
 * the events exchange with every pattern its subscribers asked for; deliveries are fanned
 * out locally. Events are best-effort: while disconnected they are missed (clients can poll).
 */
export class EventSubscriber {
  private readonly subscriptions = new Set<Subscription>();
  private channel: Channel | undefined;
  private readonly queueName: string;

  constructor(
    private readonly exchange: string,
    prefix: string,
    private readonly onChannelClosed: () => void,
  ) {
    this.queueName = `${prefix}events.instance.${randomUUID()}`;
  }

  get active(): boolean {
    return this.subscriptions.size > 0;
  }

  async attach(model: ChannelModel): Promise<void> {
    if (!this.active) return;
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      if (this.active) this.onChannelClosed();
    });
    await channel.assertQueue(this.queueName, { exclusive: true, autoDelete: true, durable: false });
    for (const pattern of new Set([...this.subscriptions].map((subscription) => subscription.pattern))) {
      await channel.bindQueue(this.queueName, this.exchange, pattern);
    }
    await channel.consume(
      this.queueName,
      (message) => {
        if (!message) return;
        let event: unknown;
        try {
          event = JSON.parse(message.content.toString('utf8')) as unknown;
        } catch {
          return; // not ours to read
        }
        const routingKey = message.fields.routingKey;
        for (const subscription of this.subscriptions) {
          if (!topicMatches(subscription.pattern, routingKey)) continue;
          Promise.resolve()
            .then(() => subscription.handler(event, routingKey))
            .catch(() => undefined);
        }
      },
      { noAck: true },
    );
    this.channel = channel;
  }

  private chain: Promise<unknown> = Promise.resolve();

  /** Subscriptions are applied one at a time so a binding never races the queue's creation. */
  subscribe(
    model: ChannelModel | undefined,
    pattern: string,
    handler: EventHandler,
  ): Promise<EventSubscription> {
    const run = this.chain.then(() => this.subscribeNow(model, pattern, handler));
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async subscribeNow(
    model: ChannelModel | undefined,
    pattern: string,
    handler: EventHandler,
  ): Promise<EventSubscription> {
    const subscription = { pattern, handler };
    const first = !this.active;
    this.subscriptions.add(subscription);
    if (first && model) await this.attach(model);
    else if (this.channel) await this.channel.bindQueue(this.queueName, this.exchange, pattern);
    return {
      pattern,
      unsubscribe: async () => {
        this.subscriptions.delete(subscription);
        const stillWanted = [...this.subscriptions].some((other) => other.pattern === pattern);
        if (this.channel && !stillWanted)
          await this.channel.unbindQueue(this.queueName, this.exchange, pattern).catch(() => undefined);
        if (!this.active) await this.close();
      },
    };
  }

  async close(): Promise<void> {
    const channel = this.channel;
    this.channel = undefined;
    if (channel) await channel.close().catch(() => undefined);
  }
}
