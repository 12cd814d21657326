import { randomUUID } from 'node:crypto';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { requireService, testServices } from '@stylelicense/test-kit';
import {
  createInProcessBroker,
  createInProcessHub,
  createRabbitBroker,
  type Broker,
  type RabbitBroker,
  type TopologyOptions,
} from '../src';

export const AMQP_URL = testServices.rabbitmq.url;

/** Fast tiers so a retry test takes a fraction of a second. */
export const TEST_TOPOLOGY: TopologyOptions = { retryDelaysMs: [200, 400], maxAttempts: 3, deliveryLimit: 3 };

export interface BrokerFixture {
  /** A broker as one process would hold it; every call returns another "process" on the same backend. */
  connect(options?: Partial<TopologyOptions>): Promise<Broker>;
  cleanup(): Promise<void>;
}

export function inProcessFixture(): BrokerFixture {
  const hub = createInProcessHub(TEST_TOPOLOGY);
  const brokers: Broker[] = [];
  return {
    async connect() {
      const broker = createInProcessBroker({ hub });
      brokers.push(broker);
      return broker;
    },
    async cleanup() {
      await Promise.all(brokers.map((broker) => broker.close({ graceMs: 0 })));
      hub.shutdown();
    },
  };
}

export function uniquePrefix(): string {
  return `test.queue.${randomUUID().slice(0, 8)}.`;
}

export function rabbitFixture(
  extra: Partial<Parameters<typeof createRabbitBroker>[0]> = {},
): BrokerFixture & {
  brokers: RabbitBroker[];
  prefix: string;
} {
  const prefix = uniquePrefix();
  const brokers: RabbitBroker[] = [];
  return {
    prefix,
    brokers,
    async connect() {
      await requireService(testServices.rabbitmq);
      const broker = await createRabbitBroker({
        url: AMQP_URL,
        prefix,
        ...TEST_TOPOLOGY,
        publishTimeoutMs: 20_000,
        reconnect: { initialDelayMs: 100, maxDelayMs: 1_000 },
        connectionName: `queue-test ${prefix}`,
        ...extra,
      });
      brokers.push(broker);
      return broker;
    },
    async cleanup() {
      const janitor = await createRabbitBroker({ url: AMQP_URL, prefix, ...TEST_TOPOLOGY });
      await Promise.all(brokers.map((broker) => broker.close({ graceMs: 0 }).catch(() => undefined)));
      await janitor.deleteTopology();
      await janitor.close();
    },
  };
}

export function deferred<T = void>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}

const exec = promisify(execFile);
export async function rabbitmqctl(...args: string[]): Promise<string> {
  const { stdout } = await exec('rabbitmqctl', args, { timeout: 60_000 });
  return stdout;
}

/**
 * Fails fast, with the cause, when the shared broker cannot host our quorum queues (seen on
 * RabbitMQ 3.10 after its dead-letter supervisor died; `rabbitmqctl stop_app && rabbitmqctl start_app` heals it).
 */
export async function assertBrokerHealthy(): Promise<void> {
  const broker = await createRabbitBroker({
    url: AMQP_URL,
    prefix: uniquePrefix(),
    ...TEST_TOPOLOGY,
    reconnect: { maxDelayMs: 200 },
  }).catch((error: unknown) => {
    throw new Error(`RabbitMQ at ${AMQP_URL} cannot declare the quorum topology: ${String(error)}`);
  });
  await broker.deleteTopology();
  await broker.close();
}
