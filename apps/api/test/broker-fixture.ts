import { testServices } from '@stylelicense/test-kit';
import { randomUUID } from 'node:crypto';
import {
  createRabbitBroker,
  type Broker,
  type JobConsumer,
  type JobDelivery,
  type RabbitBroker,
} from '@stylelicense/queue';

export const AMQP_URL = testServices.rabbitmq.url;

export function uniqueQueuePrefix(): string {
  return `test.api.${randomUUID().slice(0, 8)}.`;
}

/** RabbitMQ brokers under one unique prefix, as several processes would hold them; cleanup deletes the topology. */
export function rabbitFixture(prefix = uniqueQueuePrefix()) {
  const brokers: RabbitBroker[] = [];
  return {
    prefix,
    async connect(): Promise<RabbitBroker> {
      const broker = await createRabbitBroker({
        url: AMQP_URL,
        prefix,
        publishTimeoutMs: 10_000,
        connectionName: `api-test ${prefix}`,
      });
      brokers.push(broker);
      return broker;
    },
    async cleanup(): Promise<void> {
      const janitor = await createRabbitBroker({ url: AMQP_URL, prefix });
      await Promise.all(brokers.map((broker) => broker.close({ graceMs: 0 }).catch(() => undefined)));
      await janitor.deleteTopology();
      await janitor.close();
    },
  };
}

const collectors: JobConsumer[] = [];

/** Every delivery of a queue, in arrival order, acked; `stopCollecting()` cancels the consumers. */
export async function collectJobs(broker: Broker, queue: string, prefetch = 50): Promise<JobDelivery[]> {
  const seen: JobDelivery[] = [];
  collectors.push(await broker.consume(queue, async (delivery) => void seen.push(delivery), { prefetch }));
  return seen;
}

export async function stopCollecting(): Promise<void> {
  await Promise.all(collectors.splice(0).map((consumer) => consumer.cancel({ graceMs: 1_000 })));
}
