import { withTransaction } from '@stylelicense/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requeueUnfinishedJobs, type EmbeddedWorker } from '../src/embedded/workers';
import { enqueueOutboxMessage } from '../src/messaging/outbox';
import { attachEmbeddedWorkers, startTestApi, type TestApi } from './harness';
import { seedMarket, submitGeneration } from './pipeline-fixtures';

// The embedded default's queue: the in-process broker, the relay and workers attached in-process.
let api: TestApi;
let workers: EmbeddedWorker[] = [];

beforeAll(async () => {
  api = await startTestApi({
    QUEUE_DRIVER: 'in-process',
    RATE_LIMIT_GENERATION: '100000/60',
    HEALTH_DETAILS: 'true',
  });
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await api?.stop();
});

describe('embedded pipeline (in-process broker)', () => {
  it('a submitted generation reaches an in-process worker, whose signed reports complete it', async () => {
    workers = await attachEmbeddedWorkers(api, [
      new URL('./fixtures/echo-worker.ts', import.meta.url).href,
      '@stylelicense/not-installed-worker',
    ]);
    expect(workers.map((worker) => worker.name)).toEqual(['echo-inference']);
    const { customer, style } = await seedMarket(api);
    const generation = await submitGeneration(api, customer.viewer, style.id);
    await expect
      .poll(
        async () =>
          (await api.runtime.deps.db.generation.findUniqueOrThrow({ where: { id: generation.id } })).status,
        { timeout: 10_000 },
      )
      .toBe('completed');
    const ready = (await (await fetch(`${api.url}/api/ready`)).json()) as {
      checks: Record<string, Record<string, unknown>>;
    };
    expect(ready.checks.broker).toMatchObject({ status: 'up', driver: 'in-process' });
  });

  it('on start, marks the latest job of unfinished work for publishing again (the in-process queue forgot it)', async () => {
    await api.runtime.deps.outbox.stop(); // this test plays the relay's part itself
    const { customer, style } = await seedMarket(api);
    const db = api.runtime.deps.db;
    const unfinished = await db.generation.create({
      data: { userId: customer.id, styleId: style.id, aspectRatio: 'square', seed: 1n, consumedTokens: 0 },
    });
    const finished = await db.generation.create({
      data: {
        userId: customer.id,
        styleId: style.id,
        aspectRatio: 'square',
        seed: 1n,
        consumedTokens: 0,
        status: 'failed',
      },
    });
    await withTransaction(db, async (tx) => {
      for (const generation of [unfinished, finished]) {
        await enqueueOutboxMessage(tx, {
          destination: 'jobs.generation',
          payload: { v: 1, generationId: generation.id, attempt: 1 },
        });
        await enqueueOutboxMessage(tx, {
          destination: 'jobs.generation',
          payload: { v: 1, generationId: generation.id, attempt: 2 },
        });
      }
    });
    await db.outboxMessage.updateMany({ data: { status: 'sent', sentAt: new Date() } });
    expect(await requeueUnfinishedJobs(db)).toBe(1);
    const pending = await db.outboxMessage.findMany({ where: { status: 'pending' } });
    expect(pending.map((row) => row.payload)).toEqual([{ v: 1, generationId: unfinished.id, attempt: 2 }]);
  });
});
