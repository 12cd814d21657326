// Publish throughput through the broker layer vs raw amqplib confirm-channel publishing, in the
// same run against the same broker, plus publish→consume latency on loopback.
//   pnpm --filter @stylelicense/queue bench      (TEST_AMQP_URL, BENCH_MESSAGES to override)
import { randomUUID } from 'node:crypto';
import { requireService, testServices } from '@stylelicense/test-kit';
import amqplib from 'amqplib';
import { createInProcessBroker, createRabbitBroker, JOB_QUEUES, type Broker } from '../src';

const url = testServices.rabbitmq.url;
const messages = Number(process.env.BENCH_MESSAGES ?? 10_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 3);
const window = 2_000; // publishes in flight at once through the layer
const queue = JOB_QUEUES.generation;
const prefix = `bench.queue.${randomUUID().slice(0, 8)}.`;

// A realistic generation job body (~600 bytes).
const job = {
  v: 1,
  generationId: 'gen_01HZX3V4W5Y6Z7A8B9C0D1E2F3',
  styleId: 'style_01HZX3V4W5Y6Z7A8B9C0D1E2F3',
  userId: 'user_01HZX3V4W5Y6Z7A8B9C0D1E2F3',
  loraModelKey: 'models/style_01HZX3V4W5Y6Z7A8B9C0D1E2F3/lora.safetensors',
  promptTags: ['cat', 'window', 'rain', 'watercolor'],
  description: 'a cat by the window on a rainy afternoon',
  aspectRatio: '1:1',
  width: 512,
  height: 512,
  seed: 123456789,
  steps: 25,
  guidance: 7.5,
  attempt: 1,
  signatureKey: 'signatures/artist_01HZX3V4W5Y6Z7A8B9C0D1E2F3.png',
  artistName: 'Mina Park',
  styleName: 'soft rain',
  licenseType: 'personal',
  requestedAt: new Date().toISOString(),
};

/** Raw amqplib: one confirm channel, same body, same window, its own quorum queue. */
async function openRaw(noDelay: boolean) {
  const connection = await amqplib.connect(url, { noDelay });
  const channel = await connection.createConfirmChannel();
  const name = `${prefix}raw.${noDelay ? 'nodelay' : 'nagle'}`;
  await channel.assertQueue(name, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  return {
    async rate(): Promise<number> {
      const started = performance.now();
      let confirms: Promise<void>[] = [];
      for (let index = 0; index < messages; index += 1) {
        confirms.push(
          new Promise<void>((resolve, reject) => {
            // Serialising is part of a producer's work on both sides.
            channel.publish(
              '',
              name,
              Buffer.from(JSON.stringify(job)),
              { persistent: true, mandatory: true, messageId: String(index) },
              (error: Error | null) => (error ? reject(error) : resolve()),
            );
          }),
        );
        if (confirms.length >= window) {
          await Promise.all(confirms);
          confirms = [];
        }
      }
      await Promise.all(confirms);
      const rate = messages / ((performance.now() - started) / 1000);
      await channel.purgeQueue(name);
      return rate;
    },
    /** Empties a queue the same way for both sides, so neither inherits the other's backlog. */
    async purge(queueName: string) {
      await channel.purgeQueue(queueName);
    },
    async close() {
      await channel.deleteQueue(name);
      await connection.close();
    },
  };
}

async function layerPublishRate(broker: Broker): Promise<number> {
  const started = performance.now();
  let inFlight: Promise<void>[] = [];
  for (let index = 0; index < messages; index += 1) {
    inFlight.push(broker.publish(queue, job, { messageId: `bench-${index}` }));
    if (inFlight.length >= window) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  return messages / ((performance.now() - started) / 1000);
}

async function latency(broker: Broker, samples: number): Promise<{ p50: number; p99: number }> {
  const waiting = new Map<string, (at: number) => void>();
  const consumer = await broker.consume(
    queue,
    async (delivery) => {
      waiting.get(delivery.messageId)?.(performance.now());
    },
    { prefetch: 10 },
  );
  const results: number[] = [];
  for (let index = 0; index < samples; index += 1) {
    const messageId = `latency-${index}`;
    const arrived = new Promise<number>((resolve) => waiting.set(messageId, resolve));
    const sent = performance.now();
    await broker.publish(queue, job, { messageId });
    results.push((await arrived) - sent);
    waiting.delete(messageId);
  }
  await consumer.cancel();
  results.sort((a, b) => a - b);
  const at = (quantile: number) =>
    results[Math.min(results.length - 1, Math.floor(quantile * results.length))] ?? Number.NaN;
  return { p50: at(0.5), p99: at(0.99) };
}

async function drain(broker: Broker): Promise<void> {
  // Empty the queue the throughput run filled, so the latency run measures an idle queue.
  let left = messages;
  let emptied!: () => void;
  const done = new Promise<void>((resolve) => {
    emptied = resolve;
  });
  const consumer = await broker.consume(
    queue,
    async () => {
      left -= 1;
      if (left === 0) emptied();
    },
    { prefetch: 500 },
  );
  await done;
  await consumer.cancel();
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN;
const format = (value: number) => value.toFixed(value >= 100 ? 0 : 2);

await requireService(testServices.rabbitmq);
const rabbit = await createRabbitBroker({ url, prefix, queues: [queue], connectionName: 'queue-bench' });
try {
  console.log(
    `RabbitMQ ${url.replace(/\/\/.*@/, '//')} — ${rounds} rounds of ${messages} persistent ~600-byte messages to a quorum queue, ${window} in flight`,
  );
  // The machine is shared and noisy: interleave rounds and compare medians.
  const raw = await openRaw(true);
  const rawRates: number[] = [];
  const layerRates: number[] = [];
  for (let round = 0; round < rounds; round += 1) {
    rawRates.push(await raw.rate());
    layerRates.push(await layerPublishRate(rabbit));
    await raw.purge(prefix + queue);
  }
  await raw.close();
  const rawRate = median(rawRates);
  const layerRate = median(layerRates);
  console.log(
    `raw amqplib confirm-channel publish: ${format(rawRate)} msg/s (median of ${rounds}: ${rawRates.map(format).join(', ')})`,
  );
  console.log(
    `broker layer publish (confirmed):   ${format(layerRate)} msg/s (median of ${rounds}: ${layerRates.map(format).join(', ')}) = ${((layerRate / rawRate) * 100).toFixed(0)}% of raw`,
  );
  const { p50, p99 } = await latency(rabbit, 500);
  console.log(`publish→consume latency (500 sequential jobs): p50 ${format(p50)} ms, p99 ${format(p99)} ms`);
} finally {
  await rabbit.deleteTopology();
  await rabbit.close({ graceMs: 0 });
}

const local = createInProcessBroker({ queues: [queue] });
const localRate = await layerPublishRate(local);
const localLatency = await (async () => {
  await drain(local);
  return latency(local, 500);
})();
console.log(
  `in-process driver: publish ${format(localRate)} msg/s, latency p50 ${format(localLatency.p50)} ms, p99 ${format(localLatency.p99)} ms`,
);
await local.close({ graceMs: 0 });
