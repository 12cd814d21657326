import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import amqplib from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DomainError } from '@stylelicense/contracts';
import { createRabbitBroker, JOB_QUEUES, type JobDelivery } from '../src';
import { AMQP_URL, assertBrokerHealthy, deferred, rabbitFixture, rabbitmqctl } from './helpers';

const queue = JOB_QUEUES.generation;
const stuckWorker = fileURLToPath(new URL('./fixtures/stuck-worker.ts', import.meta.url));

async function queueDepth(name: string): Promise<number> {
  const connection = await amqplib.connect(AMQP_URL);
  try {
    const channel = await connection.createChannel();
    return (await channel.checkQueue(name)).messageCount;
  } finally {
    await connection.close();
  }
}

beforeAll(assertBrokerHealthy);

describe('rabbitmq: failures', () => {
  it('redelivers the job of a killed worker process to another worker, which completes it once', async () => {
    const fixture = rabbitFixture();
    const api = await fixture.connect();
    const child = spawn(process.execPath, ['--import', 'tsx', stuckWorker, fixture.prefix], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      let output = '';
      const ready = deferred();
      const started = deferred();
      child.stdout.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('ready')) ready.resolve();
        if (output.includes('started job-7')) started.resolve();
      });
      await ready.promise;
      await api.publish(queue, { v: 1, generationId: 'gen_7' }, { messageId: 'job-7' });
      await started.promise;
      child.kill('SIGKILL');

      const completions: JobDelivery[] = [];
      const survivor = await fixture.connect();
      await survivor.consume(queue, async (delivery) => {
        completions.push(delivery);
      });
      await expect.poll(() => completions.length, { timeout: 10_000 }).toBe(1);
      expect(completions[0]?.messageId).toBe('job-7');
      expect(completions[0]?.deliveryCount).toBe(2);
      // A later job queues behind any second copy: once it is done, a duplicate would have been too.
      await api.publish(queue, { v: 1, generationId: 'gen_8' }, { messageId: 'job-8' });
      await expect.poll(() => completions.length).toBe(2);
      expect(completions.map((delivery) => delivery.messageId)).toEqual(['job-7', 'job-8']);
      expect(await queueDepth(fixture.prefix + queue)).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await fixture.cleanup();
    }
  });

  it('answers QUEUE_UNROUTABLE when the broker returns a mandatory message', async () => {
    const fixture = rabbitFixture();
    const broker = await fixture.connect();
    try {
      const connection = await amqplib.connect(AMQP_URL);
      const channel = await connection.createChannel();
      await channel.deleteQueue(fixture.prefix + queue);
      await connection.close();
      const error = (await broker.publish(queue, { v: 1 }).catch((caught: unknown) => caught)) as DomainError;
      expect(error.code).toBe('QUEUE_UNROUTABLE');
      expect(error.message).toMatch(/no queue is bound/);
    } finally {
      await fixture.cleanup();
    }
  });
});

describe('rabbitmq: back-pressure', () => {
  it('waits for the socket to drain when publishing faster than it writes, and loses nothing', async () => {
    const fixture = rabbitFixture();
    const broker = await fixture.connect();
    try {
      const consumed = new Set<string>();
      await broker.consume(queue, async (delivery) => void consumed.add(delivery.messageId), {
        prefetch: 200,
      });
      const body = { v: 1, blob: 'x'.repeat(5_000) };
      const ids = Array.from({ length: 2_000 }, (_, index) => `bulk-${index}`);
      await Promise.all(ids.map((id) => broker.publish(queue, body, { messageId: id })));
      expect(fixture.brokers[0]?.publisherStats.drainWaits).toBeGreaterThan(0);
      await expect.poll(() => consumed.size, { timeout: 20_000 }).toBe(ids.length);
    } finally {
      await fixture.cleanup();
    }
  });
});

describe('rabbitmq: broker restart', () => {
  afterAll(async () => {
    // The broker is shared: whatever happened, leave it running.
    await rabbitmqctl('start_app').catch(() => undefined);
  });

  it('loses no job when the broker restarts with jobs in flight; publisher and consumer reconnect', async () => {
    const publisherLost = deferred();
    const fixture = rabbitFixture({
      onEvent: (event) => {
        if (event.type === 'disconnected') publisherLost.resolve();
      },
    });
    const publisher = await fixture.connect();
    const worker = await fixture.connect();
    const consumed = new Set<string>();
    let stopped = false;
    // The first ten jobs finish; the next ones stay in the worker's hands until the broker is down.
    const DONE_BEFORE_STOP = 10;
    const brokerDown = deferred();
    const holding = deferred();
    await worker.consume(
      queue,
      async (delivery) => {
        if (consumed.size >= DONE_BEFORE_STOP && !consumed.has(delivery.messageId)) {
          holding.resolve();
          await brokerDown.promise;
        }
        consumed.add(delivery.messageId);
      },
      { prefetch: 2 },
    );
    try {
      const ids = Array.from({ length: 150 }, (_, index) => `restart-${index}`);
      await Promise.all(
        ids.slice(0, 100).map((id) => publisher.publish(queue, { v: 1, id }, { messageId: id })),
      );
      await holding.promise;
      stopped = true;
      await rabbitmqctl('stop_app');
      // The consumer was mid-stream: ten jobs done, some in hand, most still queued.
      expect(consumed.size).toBe(DONE_BEFORE_STOP);
      // Published while the broker is down (the clients saw it go): these wait for the
      // reconnect, then confirm. The jobs in hand finish now; their acks have no channel left.
      await publisherLost.promise;
      const late = Promise.all(
        ids.slice(100).map((id) => publisher.publish(queue, { v: 1, id }, { messageId: id })),
      );
      brokerDown.resolve();
      await rabbitmqctl('start_app');
      await late;
      await expect.poll(() => consumed.size, { timeout: 30_000, interval: 200 }).toBe(ids.length);
      expect([...consumed].sort()).toEqual([...ids].sort());
      expect(fixture.brokers[0]?.connectCount).toBeGreaterThanOrEqual(2);
      expect(fixture.brokers[1]?.connectCount).toBeGreaterThanOrEqual(2);
      expect((await publisher.checkHealth()).ok).toBe(true);
    } finally {
      if (stopped) {
        await rabbitmqctl('start_app').catch(() => undefined);
        // RabbitMQ 3.10 crashes the dead-letter workers of quorum queues deleted while they are
        // still starting after a restart (and then refuses such queues node-wide): wait until
        // every queue of ours is running again.
        await expect
          .poll(
            async () =>
              (await rabbitmqctl('list_queues', '-q', '--no-table-headers', 'name', 'state'))
                .split('\n')
                .filter((line) => line.startsWith(fixture.prefix))
                .every((line) => line.trim().endsWith('running')),
            { timeout: 60_000, interval: 500 },
          )
          .toBe(true);
      }
      await fixture.cleanup();
    }
  }, 90_000);
});

describe('rabbitmq: unreachable broker', () => {
  it('fails start-up with QUEUE_UNAVAILABLE after the initial attempts', async () => {
    const started = Date.now();
    const error = (await createRabbitBroker({
      url: 'amqp://guest:guest@127.0.0.1:1',
      reconnect: { initialDelayMs: 20, maxDelayMs: 50, initialAttempts: 3 },
    }).catch((caught: unknown) => caught)) as DomainError;
    expect(error.code).toBe('QUEUE_UNAVAILABLE');
    expect(error.message).toMatch(/cannot connect to RabbitMQ/);
    expect(Date.now() - started).toBeLessThan(20_000); // gave up, not retrying forever
  });
});
