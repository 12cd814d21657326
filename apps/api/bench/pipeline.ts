// The job pipeline's figures, each against its ceiling measured in the same run:
//   1. jobs published per second through the outbox relay  vs  raw amqplib confirm-channel publishing;
//   2. submit-to-consumer latency (generations.create → a RabbitMQ consumer holds the job), p50/p99;
//   3. verified webhooks handled per second  vs  plain HTTP requests (/api/health) on the same server.
// Not a test: prints figures. `pnpm --filter @stylelicense/api bench` (AMQP_URL, BENCH_* to override).
import { randomUUID } from 'node:crypto';
import { withTransaction } from '@stylelicense/db';
import { createTestDatabase } from '@stylelicense/db/testing';
import { ATTEMPT_HEADER, JOB_QUEUES } from '@stylelicense/queue';
import amqplib from 'amqplib';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { cpus, loadavg } from 'node:os';
import { createLogger } from '../src/logger';
import { enqueueOutboxMessage } from '../src/messaging/outbox';
import { createOutboxRelay } from '../src/messaging/outbox-relay';
import { AMQP_URL, rabbitFixture } from '../test/broker-fixture';
import { seedMarket, startPipelineApi, submitGeneration } from '../test/pipeline-fixtures';

const JOBS = Number(process.env.BENCH_JOBS ?? 20_000);
const LATENCY_SAMPLES = Number(process.env.BENCH_LATENCY_SAMPLES ?? 300);
const WEBHOOKS = Number(process.env.BENCH_WEBHOOKS ?? 10_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const queue = JOB_QUEUES.generation;
const log = createLogger('silent');

// A realistic generation job (~600 bytes of JSON).
const job = (n: number) => ({
  v: 1,
  generationId: randomUUID(),
  styleId: randomUUID(),
  userId: randomUUID(),
  loraModelKey: 'models/0193a4b2-7c1d-7e3f-9a5b-1c2d3e4f5a6b/lora.safetensors',
  promptTags: ['cat', 'window', 'rain', 'watercolor'],
  description: 'a cat by the window on a rainy afternoon',
  aspectRatio: '1:1',
  width: 512,
  height: 512,
  seed: n,
  steps: 30,
  guidance: 7.5,
  attempt: 1,
  signatureKey: 'signatures/0193a4b2-7c1d-7e3f-9a5b-1c2d3e4f5a6b.png',
  artistName: 'Mina Park',
  styleName: 'soft rain',
  licenseType: 'personal',
  requestedAt: new Date().toISOString(),
});

const rate = (count: number, ms: number) => Math.round(count / (ms / 1000));
const percent = (part: number, whole: number) => `${Math.round((part / whole) * 100)}%`;
const quantile = (sorted: number[], q: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;

/** Raw amqplib: one confirm channel, `window` publishes in flight, persistent + mandatory, to the same kind of queue. */
async function rawPublishRate(prefix: string, count: number, window = 2_000): Promise<number> {
  const connection = await amqplib.connect(AMQP_URL, { noDelay: true });
  const channel = await connection.createConfirmChannel();
  const name = `${prefix}raw-ceiling`;
  await channel.assertQueue(name, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  const bodies = Array.from({ length: count }, (_, n) => Buffer.from(JSON.stringify(job(n))));
  const started = performance.now();
  let inFlight: Array<Promise<void>> = [];
  for (let n = 0; n < count; n++) {
    inFlight.push(
      new Promise<void>((resolve, reject) => {
        channel.publish(
          '',
          name,
          bodies[n]!,
          { persistent: true, mandatory: true, messageId: randomUUID(), contentType: 'application/json' },
          (error: unknown) =>
            error
              ? reject(error instanceof Error ? error : new Error('publish not confirmed', { cause: error }))
              : resolve(),
        );
      }),
    );
    if (inFlight.length >= window) {
      await Promise.all(inFlight);
      inFlight = [];
    }
  }
  await Promise.all(inFlight);
  const elapsed = performance.now() - started;
  await channel.deleteQueue(name);
  await connection.close();
  return rate(count, elapsed);
}

async function relayThroughput(): Promise<void> {
  const database = await createTestDatabase({ poolSize: 10 });
  const rabbit = rabbitFixture();
  try {
    const broker = await rabbit.connect();
    const raw = await rawPublishRate(rabbit.prefix, JOBS);
    const fill = () => database.db.$executeRaw`
      INSERT INTO outbox_messages (message_id, destination, payload, headers)
      SELECT gen_random_uuid(), ${queue}, ${JSON.stringify(job(0))}::jsonb || jsonb_build_object('seed', n), ${JSON.stringify({ [ATTEMPT_HEADER]: 1 })}::jsonb
        FROM generate_series(1, ${JOBS}) AS n`;
    // One relay, then two (two API instances, each its own pool and broker connection) on a fresh backlog.
    const rates: number[] = [];
    for (const instances of [1, 2]) {
      await fill();
      const relays = await Promise.all(
        Array.from({ length: instances }, async () =>
          createOutboxRelay({
            db: database.db,
            broker: instances === 1 ? broker : await rabbit.connect(),
            log,
            batchSize: 500,
          }),
        ),
      );
      const started = performance.now();
      relays.forEach((relay) => relay.start());
      while (relays.reduce((sum, relay) => sum + relay.published, 0) < JOBS)
        await new Promise((resolve) => setTimeout(resolve, 5));
      const elapsed = performance.now() - started;
      await Promise.all(relays.map((relay) => relay.stop()));
      const left = await database.db.outboxMessage.count({ where: { status: 'pending' } });
      if (left !== 0) throw new Error(`${left} rows were not published`);
      rates.push(rate(JOBS, elapsed));
    }
    const [one, two] = rates as [number, number];
    console.log(
      `outbox relay: ${one} jobs/s with one instance, ${two} jobs/s with two (${JOBS} rows each: claimed, published with confirms, marked sent; target ≥ 5,000/s)`,
    );
    console.log(
      `  ceiling, raw amqplib confirm-channel publish of the same jobs (one channel): ${raw} msg/s → one relay at ${percent(one, raw)} of raw`,
    );
  } finally {
    await rabbit.cleanup();
    await database.drop();
  }
}

async function submitLatencyAndWebhooks(): Promise<void> {
  const api = await startPipelineApi({ OUTBOX_POLL_INTERVAL_MS: '1000', DATABASE_POOL_SIZE: '20' });
  try {
    const { customer, style } = await seedMarket(api, { cost: 1 });
    await api.runtime.deps.db.user.update({ where: { id: customer.id }, data: { tokenBalance: 1_000_000 } });

    // 2. Submit → consumer: the real procedure (hold, tags, outbox row, commit), the relay woken by NOTIFY.
    const consumerBroker = await api.rabbit.connect();
    // The job may arrive before generations.create returns its id: arrivals are kept by id.
    const arrivedAt = new Map<string, number>();
    let onArrival: (() => void) | undefined;
    const consumer = await consumerBroker.consume(
      queue,
      async (delivery) => {
        arrivedAt.set(delivery.messageId, performance.now());
        onArrival?.();
      },
      { prefetch: 10 },
    );
    const arrivalOf = (id: string) =>
      new Promise<number>((resolve) => {
        const deadline = setTimeout(() => resolve(Number.NaN), 5_000);
        const check = () => {
          const at = arrivedAt.get(id);
          if (at === undefined) return;
          clearTimeout(deadline);
          onArrival = undefined;
          resolve(at);
        };
        onArrival = check;
        check();
      });
    const latencies: number[] = [];
    const generationIds: string[] = [];
    for (let n = 0; n < LATENCY_SAMPLES + 20; n++) {
      const started = performance.now();
      const generation = await submitGeneration(api, customer.viewer, style.id);
      generationIds.push(generation.id);
      const at = await arrivalOf(generation.id);
      if (n >= 20) latencies.push(at - started); // the first submissions warm up the JIT and pools
    }
    // The relay's share alone: a transaction that only writes the outbox row, timed from its start.
    const relayLatencies: number[] = [];
    const commitLatencies: number[] = [];
    for (let n = 0; n < LATENCY_SAMPLES + 20; n++) {
      const started = performance.now();
      const id = await withTransaction(api.runtime.deps.db, (tx) =>
        enqueueOutboxMessage(tx, { destination: queue, payload: job(n) }),
      );
      const committed = performance.now();
      const at = await arrivalOf(id);
      if (n >= 20) relayLatencies.push(at - started);
      if (n >= 20) commitLatencies.push(at - committed);
    }
    await consumer.cancel();
    const relaySorted = relayLatencies.filter(Number.isFinite).sort((a, b) => a - b);
    const commitSorted = commitLatencies.filter(Number.isFinite).sort((a, b) => a - b);
    const sorted = latencies.filter(Number.isFinite).sort((a, b) => a - b);
    console.log(
      `submit → consumer latency (${sorted.length} sequential generations.create, relay woken by LISTEN/NOTIFY): ` +
        `p50 ${quantile(sorted, 0.5).toFixed(1)} ms, p99 ${quantile(sorted, 0.99).toFixed(1)} ms (target p99 < 50 ms)` +
        (sorted.length < latencies.length
          ? ` — ${latencies.length - sorted.length} not received in 5 s`
          : ''),
    );
    console.log(
      `  of which the relay path (outbox-only transaction → consumer): p50 ${quantile(relaySorted, 0.5).toFixed(1)} ms, ` +
        `p99 ${quantile(relaySorted, 0.99).toFixed(1)} ms; from its commit: p50 ${quantile(commitSorted, 0.5).toFixed(1)} ms, ` +
        `p99 ${quantile(commitSorted, 0.99).toFixed(1)} ms`,
    );

    // 3. Verified webhooks: signed progress reports from a separate client process, CONCURRENCY in
    //    flight over keep-alive connections; the ceiling is the same client asking for /api/health.
    const loadPlan = { url: api.url, count: WEBHOOKS, concurrency: CONCURRENCY };
    const webhookMs = await runLoadClient({
      ...loadPlan,
      mode: 'webhook',
      secret: api.secrets.inference,
      generationIds,
    });
    const healthMs = await runLoadClient({ ...loadPlan, mode: 'health' });
    const webhooks = rate(WEBHOOKS, webhookMs);
    const health = rate(WEBHOOKS, healthMs);
    console.log(
      `verified webhooks: ${webhooks}/s (${WEBHOOKS} signed progress reports, ${CONCURRENCY} in flight; target ≥ 1,000/s)`,
    );
    console.log(
      `  ceiling, GET /api/health on the same server and client: ${health} req/s → webhooks at ${percent(webhooks, health)} of plain HTTP`,
    );
  } finally {
    await api.stop();
  }
}

/** Runs bench/pipeline/load-client.ts in its own process; resolves with the elapsed ms it measured. */
async function runLoadClient(plan: Record<string, unknown>): Promise<number> {
  const client = fileURLToPath(new URL('./pipeline/load-client.ts', import.meta.url));
  const child = spawn(process.execPath, ['--import', 'tsx', client, JSON.stringify(plan)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`load client exited with ${code}`);
  return (JSON.parse(output.trim().split('\n').pop() ?? '{}') as { ms: number }).ms;
}

console.log(
  `job pipeline bench — PostgreSQL + RabbitMQ on loopback (${AMQP_URL.replace(/\/\/.*@/, '//')}), ` +
    `${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)} at start`,
);
await relayThroughput();
await submitLatencyAndWebhooks();
