import { randomUUID } from 'node:crypto';
import { createDatabase, withTransaction } from '@stylelicense/db';
import { createTestDatabase, type TestDatabase } from '@stylelicense/db/testing';
import { JOB_QUEUES, type RabbitBroker } from '@stylelicense/queue';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../src/logger';
import { enqueueOutboxMessage } from '../src/messaging/outbox';
import { createOutboxRelay, type OutboxRelay } from '../src/messaging/outbox-relay';
import { purgeWebhookReceipts } from '../src/messaging/webhook-receipts';
import { collectJobs, rabbitFixture, stopCollecting } from './broker-fixture';

const log = createLogger('silent');
const queue = JOB_QUEUES.generation;

describe('outbox relay on PostgreSQL and RabbitMQ', () => {
  let database: TestDatabase;
  const rabbit = rabbitFixture();
  let consumerBroker: RabbitBroker;
  const relays: OutboxRelay[] = [];

  beforeAll(async () => {
    database = await createTestDatabase();
    consumerBroker = await rabbit.connect();
  });
  afterEach(async () => {
    await Promise.all(relays.splice(0).map((relay) => relay.stop()));
    await stopCollecting();
    await database.db.outboxMessage.deleteMany();
  });
  afterAll(async () => {
    await rabbit.cleanup();
    await database.drop();
  });

  async function relay(options: Partial<Parameters<typeof createOutboxRelay>[0]> = {}): Promise<OutboxRelay> {
    const created = createOutboxRelay({
      db: database.db,
      broker: await rabbit.connect(),
      log,
      pollIntervalMs: 50,
      ...options,
    });
    relays.push(created);
    return created;
  }

  async function enqueue(count: number, tag: string): Promise<string[]> {
    return withTransaction(database.db, async (tx) => {
      const ids: string[] = [];
      for (let n = 0; n < count; n++)
        ids.push(await enqueueOutboxMessage(tx, { destination: queue, payload: { v: 1, tag, n } }));
      return ids;
    });
  }

  it('publishes committed rows in order with their ids and marks them sent', async () => {
    const seen = await collectJobs(consumerBroker, queue);
    const ids = await enqueue(40, 'order');
    const relayer = await relay({ batchSize: 15 });
    relayer.start();
    await expect.poll(() => seen.length, { timeout: 10_000 }).toBe(40);
    expect(seen.map((delivery) => delivery.messageId)).toEqual(ids);
    expect(seen.map((delivery) => (delivery.body as { n: number }).n)).toEqual([...Array(40).keys()]);
    // The consumer can hold a batch before the relay's "sent" update commits: wait for the update.
    const allSent = async () =>
      (await database.db.outboxMessage.findMany()).every(
        (row) => row.status === 'sent' && row.sentAt !== null,
      );
    await expect.poll(allSent, { timeout: 10_000 }).toBe(true);
    expect(await relayer.lag()).toEqual({ pending: 0, due: 0, oldestDueAgeMs: 0 });
  });

  it('publishes nothing for a rolled-back transaction', async () => {
    const seen = await collectJobs(consumerBroker, queue);
    await expect(
      withTransaction(database.db, async (tx) => {
        await enqueueOutboxMessage(tx, { destination: queue, payload: { v: 1, tag: 'rolled-back' } });
        throw new Error('the cause failed');
      }),
    ).rejects.toThrow('the cause failed');
    const relayer = await relay();
    expect(await relayer.relayOnce()).toBe(0);
    // A committed row goes through the same queue after it: had the rolled-back one been published,
    // it would arrive first.
    const [committed] = await enqueue(1, 'committed');
    expect(await relayer.relayOnce()).toBe(1);
    await expect.poll(() => seen.length, { timeout: 15_000 }).toBeGreaterThanOrEqual(1);
    expect(seen.map((delivery) => delivery.messageId)).toEqual([committed]);
  });

  it('never publishes a row twice when several relays (own pools, own connections) run at once', async () => {
    const seen = await collectJobs(consumerBroker, queue, 500);
    const ids = Array.from({ length: 3000 }, () => randomUUID());
    await database.db.outboxMessage.createMany({
      data: ids.map((messageId, n) => ({ messageId, destination: queue, payload: { v: 1, n } })),
    });
    const started = performance.now();
    const pools = [
      createDatabase({ url: database.url, poolSize: 3 }),
      createDatabase({ url: database.url, poolSize: 3 }),
      createDatabase({ url: database.url, poolSize: 3 }),
    ];
    try {
      const racing = await Promise.all(pools.map((db) => relay({ db, batchSize: 100 })));
      racing.forEach((relayer) => relayer.start());
      await expect.poll(() => seen.length, { timeout: 20_000 }).toBe(3000);
      console.log(`3 relays: 3000 rows in ${Math.round(performance.now() - started)} ms`);
      // Once the relays stopped (their publishes confirmed), a last row queues behind anything they
      // sent: when it arrives, a duplicate would have arrived too.
      await Promise.all(relays.splice(0).map((relayer) => relayer.stop()));
      const [last] = await enqueue(1, 'last');
      expect(await (await relay()).relayOnce()).toBe(1);
      await expect.poll(() => seen.at(-1)?.messageId, { timeout: 15_000 }).toBe(last);
      expect(seen).toHaveLength(3001);
      expect(new Set(seen.slice(0, 3000).map((delivery) => delivery.messageId))).toEqual(new Set(ids));
      // Each relay did part of the work.
      expect(racing.filter((relayer) => relayer.published > 0).length).toBeGreaterThan(1);
      expect(racing.reduce((sum, relayer) => sum + relayer.published, 0)).toBe(3000);
    } finally {
      await Promise.all(relays.splice(0).map((relayer) => relayer.stop()));
      await Promise.all(pools.map((db) => db.$disconnect()));
    }
  });

  it('publishes rows an API committed before it died, once a relay starts later', async () => {
    // The "API" commits and dies before its relay ran: its own client and broker are gone.
    const dying = createDatabase({ url: database.url, poolSize: 1 });
    const ids = await withTransaction(dying, async (tx) => [
      await enqueueOutboxMessage(tx, { destination: queue, payload: { v: 1, tag: 'orphan', n: 0 } }),
      await enqueueOutboxMessage(tx, {
        destination: JOB_QUEUES.training,
        payload: { v: 1, tag: 'orphan', n: 1 },
      }),
    ]);
    await dying.$disconnect();
    // One row was even claimed by a relay that died mid-publish: its lease runs out.
    await database.db
      .$executeRaw`UPDATE outbox_messages SET attempts = 1, available_at = now() + interval '300 milliseconds' WHERE message_id = ${ids[1]}::uuid`;

    const generations = await collectJobs(consumerBroker, queue);
    const trainings = await collectJobs(consumerBroker, JOB_QUEUES.training);
    const restarted = await relay();
    restarted.start();
    await expect.poll(() => generations.length + trainings.length, { timeout: 10_000 }).toBe(2);
    expect(generations[0]?.messageId).toBe(ids[0]);
    expect(trainings[0]?.messageId).toBe(ids[1]);
  });

  it('backs off a row the broker refuses and keeps publishing the others', async () => {
    const seen = await collectJobs(consumerBroker, queue);
    await withTransaction(database.db, async (tx) => {
      await enqueueOutboxMessage(tx, { destination: 'jobs.unknown', payload: { v: 1 } });
      await enqueueOutboxMessage(tx, { destination: queue, payload: { v: 1, tag: 'fine' } });
    });
    const relayer = await relay({ retryDelayMs: 60_000 });
    expect(await relayer.relayOnce()).toBe(1);
    await expect.poll(() => seen.length, { timeout: 15_000 }).toBe(1);
    const refused = await database.db.outboxMessage.findFirstOrThrow({
      where: { destination: 'jobs.unknown' },
    });
    expect(refused.status).toBe('pending');
    expect(refused.attempts).toBe(1);
    expect(refused.lastError).toMatch(/QUEUE_UNROUTABLE|unknown job queue/);
    expect(refused.availableAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
    expect(await relayer.lag()).toEqual({ pending: 1, due: 0, oldestDueAgeMs: 0 });
  });

  it('is woken by the commit (LISTEN/NOTIFY), not by its poll', async () => {
    const seen = await collectJobs(consumerBroker, queue);
    // Polls every ten minutes: a row seen within the 30 s below came through NOTIFY.
    const relayer = await relay({ pollIntervalMs: 600_000, listenUrl: database.url });
    relayer.start();
    // The first round, then the one LISTEN starts once established (for commits made before it):
    // after the second the relay sleeps until woken.
    await expect.poll(() => relayer.rounds, { timeout: 30_000 }).toBeGreaterThanOrEqual(2);
    await enqueue(1, 'notify');
    await expect.poll(() => seen.length, { timeout: 30_000 }).toBe(1);
  });

  it("without LISTEN (embedded PGlite), is woken by this process's own outbox writes", async () => {
    const seen = await collectJobs(consumerBroker, queue);
    const relayer = await relay({ pollIntervalMs: 600_000 });
    relayer.start();
    // First round done, now sleeping for ten minutes: a row seen within 30 s came from the nudge.
    await expect.poll(() => relayer.rounds, { timeout: 30_000 }).toBeGreaterThanOrEqual(1);
    await enqueue(1, 'nudge');
    await expect.poll(() => seen.length, { timeout: 30_000 }).toBe(1);
  });

  it('purges webhook receipts older than a day, keeping recent ones', async () => {
    await database.db.webhookReceipt.createMany({
      data: [
        { id: 'msg_old', source: 'inference', receivedAt: new Date(Date.now() - 2 * 24 * 3600_000) },
        { id: 'msg_new', source: 'training' },
      ],
    });
    expect(await purgeWebhookReceipts(database.db)).toBe(1);
    expect((await database.db.webhookReceipt.findMany()).map((receipt) => receipt.id)).toEqual(['msg_new']);
  });

  it('reports its lag: pending rows and the age of the oldest due one', async () => {
    await enqueue(3, 'lag');
    await database.db.$executeRaw`UPDATE outbox_messages SET available_at = now() - interval '5 seconds'`;
    const relayer = await relay();
    const lag = await relayer.lag();
    expect(lag.pending).toBe(3);
    expect(lag.due).toBe(3);
    expect(lag.oldestDueAgeMs).toBeGreaterThanOrEqual(5_000);
  });
});
