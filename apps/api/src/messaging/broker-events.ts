import { domainEventSchema, parseMessage, type DomainEvent } from '@stylelicense/contracts';
import type { Broker, EventSubscription } from '@stylelicense/queue';
import type { Logger } from '../logger';
import { InProcessEventBus, type BusEvent, type EventBus, type SubscribeOptions } from './events';

/**
 * The event bus across API instances: publishing goes to the broker's `events` topic exchange,
 * and every instance's one subscription (`#`) feeds its local bus, which fans out to that
 * instance's tRPC subscribers and keeps the short replay buffer. Event ids are per instance, so a
 * client resumes (`lastEventId`) against the instance it was connected to; otherwise it refetches.
 */
export class BrokerEventBus implements EventBus {
  private readonly local: InProcessEventBus;
  private subscription: EventSubscription | undefined;

  private constructor(
    private readonly broker: Broker,
    private readonly log: Logger,
    options: ConstructorParameters<typeof InProcessEventBus>[0],
  ) {
    this.local = new InProcessEventBus(options);
  }

  static async connect(
    broker: Broker,
    log: Logger,
    options: ConstructorParameters<typeof InProcessEventBus>[0] = {},
  ): Promise<BrokerEventBus> {
    const bus = new BrokerEventBus(broker, log, options);
    bus.subscription = await broker.subscribeEvents('#', (event, routingKey) =>
      bus.receive(event, routingKey),
    );
    return bus;
  }

  async publish(topic: string, event: DomainEvent): Promise<void> {
    await this.broker.publishEvent(topic, event);
  }

  subscribe(topic: string, options?: SubscribeOptions): AsyncIterable<BusEvent> {
    return this.local.subscribe(topic, options);
  }

  async close(): Promise<void> {
    const subscription = this.subscription;
    this.subscription = undefined;
    await subscription?.unsubscribe().catch(() => undefined);
    await this.local.close();
  }

  private async receive(raw: unknown, routingKey: string): Promise<void> {
    let event: DomainEvent;
    try {
      event = parseMessage(domainEventSchema, raw);
    } catch (error) {
      // Another version's event (rolling deploy) or garbage: not ours to relay.
      this.log.warn({ err: error, routingKey }, 'dropped an unreadable event');
      return;
    }
    await this.local.publish(routingKey, event);
  }
}
