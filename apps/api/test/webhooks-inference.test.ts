import { generateWebhookSecret, type DomainEvent } from '@stylelicense/contracts';
import { findCounterDrift, findLedgerDiscrepancies } from '@stylelicense/db';
import { JOB_QUEUES } from '@stylelicense/queue';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { topicOf } from '../src/messaging/events';
import { collectJobs, stopCollecting } from './broker-fixture';
import {
  completeReport,
  failedReport,
  progressReport,
  seedMarket,
  sendWebhook,
  startPipelineApi,
  submitGeneration,
  type PipelineApi,
} from './pipeline-fixtures';

let api: PipelineApi;
let market: Awaited<ReturnType<typeof seedMarket>>;
const COST = 10;

beforeAll(async () => {
  // Short back-off so the retry test takes a fraction of a second: attempt 2 after 50 ms, attempt 3 after 100 ms.
  api = await startPipelineApi({ GENERATION_RETRY_DELAYS_MS: '50,100' });
  market = await seedMarket(api, { cost: COST });
});
afterEach(async () => {
  await stopCollecting();
});
afterAll(async () => {
  await api?.stop();
});

const db = () => api.runtime.deps.db;
const generationOf = (id: string) => db().generation.findUniqueOrThrow({ where: { id } });
const balanceOf = async (userId: string) =>
  (await db().user.findUniqueOrThrow({ where: { id: userId } })).tokenBalance;
const earnedOf = async (userId: string) =>
  (await db().artist.findUniqueOrThrow({ where: { userId } })).earnedTokenBalance;
const notificationsOf = (recipientId: string, targetId: string) =>
  db().notification.findMany({ where: { recipientId, targetId } });

async function booksAreClean() {
  expect(await findLedgerDiscrepancies(db())).toEqual([]);
  expect(await findCounterDrift(db())).toEqual([]);
}

/** Every event the bus delivers for `ownerId` (what a tRPC subscription of theirs would see). */
function watchEvents(ownerId: string, type: DomainEvent['type']) {
  const seen: DomainEvent[] = [];
  const abort = new AbortController();
  void (async () => {
    for await (const { event } of api.runtime.deps.events.subscribe(topicOf({ type, ownerId }), {
      signal: abort.signal,
    }))
      seen.push(event);
  })();
  return { seen, stop: () => abort.abort() };
}

describe('inference webhooks: authentication and input', () => {
  it('refuses forged, foreign-source, unsigned and stale deliveries with 401 and a reason, changing nothing', async () => {
    const generation = await submitGeneration(api, market.customer.viewer, market.style.id);
    const report = completeReport(generation.id);
    const forged = await sendWebhook(api, 'generationComplete', report, { secret: generateWebhookSecret() });
    expect(forged.status).toBe(401);
    expect(forged.body.error?.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    const wrongSource = await sendWebhook(api, 'generationComplete', report, {
      secret: api.secrets.training,
    });
    expect(wrongSource.body.error?.code).toBe('WEBHOOK_SIGNATURE_INVALID');
    const stale = await sendWebhook(api, 'generationComplete', report, {
      timestamp: Math.floor(Date.now() / 1000) - 6 * 60,
    });
    expect(stale.status).toBe(401);
    expect(stale.body.error?.code).toBe('WEBHOOK_TIMESTAMP_STALE');
    const unsigned = await fetch(`${api.url}/api/webhooks/inference/complete`, {
      method: 'POST',
      body: JSON.stringify(report),
    });
    expect(unsigned.status).toBe(401);
    expect(((await unsigned.json()) as { error: { code: string } }).error.code).toBe(
      'WEBHOOK_HEADERS_MISSING',
    );
    // A body altered after the worker signed it with the right secret.
    const tampered = await sendWebhook(api, 'generationComplete', report, {
      signedBody: JSON.stringify(report),
      rawBody: JSON.stringify({ ...report, resultKey: 'results/evil.png' }),
    });
    expect(tampered.status).toBe(401);
    expect(tampered.body.error?.code).toBe('WEBHOOK_SIGNATURE_INVALID');

    expect(await generationOf(generation.id)).toMatchObject({ status: 'queued', resultImage: null });
    expect(
      await db().webhookReceipt.count({
        where: { id: { in: [forged.id, stale.id, wrongSource.id, tampered.id] } },
      }),
    ).toBe(0);
  });

  it('answers 400 with the reason for malformed, invalid and unknown-version bodies, changing nothing', async () => {
    const generation = await submitGeneration(api, market.customer.viewer, market.style.id);
    const notJson = await sendWebhook(api, 'generationProgress', null, { rawBody: '{"v":1,' });
    expect(notJson.status).toBe(400);
    expect(notJson.body.error?.code).toBe('MALFORMED_MESSAGE');
    const invalid = await sendWebhook(api, 'generationProgress', {
      v: 1,
      generationId: generation.id,
      attempt: 0,
      progress: { step: 1 },
    });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error?.code).toBe('VALIDATION_ERROR');
    expect(invalid.body.error?.issues).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'attempt' })]),
    );
    const future = await sendWebhook(api, 'generationProgress', { ...progressReport(generation.id), v: 2 });
    expect(future.status).toBe(400);
    expect(future.body.error?.code).toBe('UNSUPPORTED_MESSAGE_VERSION');
    const huge = await sendWebhook(api, 'generationProgress', {
      ...progressReport(generation.id),
      padding: 'x'.repeat(300_000),
    });
    expect(huge.status).toBe(400);
    expect(huge.body.error?.code).toBe('MALFORMED_MESSAGE');
    expect(await generationOf(generation.id)).toMatchObject({ status: 'queued', generationProgress: null });
  });
});

describe('inference webhooks: outcomes', () => {
  it('progress → processing, then complete: result stored, artist credited, usage counted, owner notified — once', async () => {
    const generation = await submitGeneration(api, market.customer.viewer, market.style.id);
    const events = watchEvents(market.customer.id, 'generation.updated');
    const notices = watchEvents(market.customer.id, 'notification.created');
    const earnedBefore = await earnedOf(market.artist.id);
    const usageBefore = (await db().style.findUniqueOrThrow({ where: { id: market.style.id } })).usageCount;

    const progress = await sendWebhook(api, 'generationProgress', progressReport(generation.id, 1, 5));
    expect(progress).toMatchObject({ status: 200, body: { status: 'applied' } });
    expect(await generationOf(generation.id)).toMatchObject({
      status: 'processing',
      attempt: 1,
      generationProgress: { step: 5, totalSteps: 20, percent: 25 },
    });

    const complete = await sendWebhook(api, 'generationComplete', completeReport(generation.id));
    expect(complete.body.status).toBe('applied');
    const replay = await sendWebhook(api, 'generationComplete', completeReport(generation.id), {
      id: complete.id,
    });
    expect(replay).toMatchObject({ status: 200, body: { status: 'duplicate' } });
    const again = await sendWebhook(api, 'generationComplete', completeReport(generation.id));
    expect(again).toMatchObject({ status: 200, body: { status: 'ignored' } });
    const lateProgress = await sendWebhook(api, 'generationProgress', progressReport(generation.id, 1, 10));
    expect(lateProgress.body.status).toBe('ignored');
    const lateFailure = await sendWebhook(api, 'generationFailed', failedReport(generation.id, 'BAD_PROMPT'));
    expect(lateFailure.body.status).toBe('ignored');

    const stored = await generationOf(generation.id);
    expect(stored).toMatchObject({
      status: 'completed',
      resultImage: `results/${generation.id}.png`,
      resultMetadata: { seed: 42, steps: 20 },
    });
    expect(stored.completedAt).not.toBeNull();
    expect(await earnedOf(market.artist.id)).toBe(earnedBefore + COST);
    expect((await db().style.findUniqueOrThrow({ where: { id: market.style.id } })).usageCount).toBe(
      usageBefore + 1,
    );
    const notifications = await notificationsOf(market.customer.id, generation.id);
    expect(notifications.map((n) => n.type)).toEqual(['generation_complete']);
    await expect
      .poll(() => events.seen.map((e) => (e as { status: string }).status))
      .toEqual(['processing', 'completed']);
    await expect.poll(() => notices.seen.length, { timeout: 15_000 }).toBe(1);
    events.stop();
    notices.stop();
    await booksAreClean();
  });

  it('complete before progress: completed, and the late progress changes nothing', async () => {
    const generation = await submitGeneration(api, market.customer.viewer, market.style.id);
    expect((await sendWebhook(api, 'generationComplete', completeReport(generation.id))).body.status).toBe(
      'applied',
    );
    expect(
      (await sendWebhook(api, 'generationProgress', progressReport(generation.id, 1, 3))).body.status,
    ).toBe('ignored');
    expect(await generationOf(generation.id)).toMatchObject({
      status: 'completed',
      generationProgress: { percent: 100 },
    });
    await booksAreClean();
  });

  it('a burst of the same completion under different ids settles exactly once', async () => {
    const generation = await submitGeneration(api, market.customer.viewer, market.style.id);
    const earnedBefore = await earnedOf(market.artist.id);
    const answers = await Promise.all(
      Array.from({ length: 8 }, () => sendWebhook(api, 'generationComplete', completeReport(generation.id))),
    );
    expect(answers.filter((a) => a.body.status === 'applied')).toHaveLength(1);
    expect(answers.every((a) => a.status === 200)).toBe(true);
    expect(await earnedOf(market.artist.id)).toBe(earnedBefore + COST);
    expect(await notificationsOf(market.customer.id, generation.id)).toHaveLength(1);
    await booksAreClean();
  });

  it('transient failure → retrying → the job is republished through the relay (no new charge) → completes once', async () => {
    const consumer = await api.rabbit.connect();
    const jobs = await collectJobs(consumer, JOB_QUEUES.generation);
    const generation = await submitGeneration(api, market.customer.viewer, market.style.id);
    const balance = await balanceOf(market.customer.id);
    await expect
      .poll(
        () =>
          jobs.filter((job) => (job.body as { generationId: string }).generationId === generation.id).length,
      )
      .toBe(1);

    const failed = await sendWebhook(api, 'generationFailed', failedReport(generation.id, 'GPU_OOM', 1));
    expect(failed.body).toMatchObject({ status: 'applied', retry: { attempt: 2, delayMs: 50 } });
    expect(await generationOf(generation.id)).toMatchObject({
      status: 'retrying',
      attempt: 2,
      failure: { code: 'GPU_OOM', attempt: 1 },
    });
    // The same failure reported again (new id) must not schedule a second retry.
    expect(
      (await sendWebhook(api, 'generationFailed', failedReport(generation.id, 'GPU_OOM', 1))).body.status,
    ).toBe('ignored');

    await expect
      .poll(
        () =>
          jobs.filter((job) => (job.body as { generationId: string }).generationId === generation.id).length,
      )
      .toBe(2);
    const retried = jobs.filter(
      (job) => (job.body as { generationId: string }).generationId === generation.id,
    )[1]!;
    expect(retried.body).toMatchObject({
      generationId: generation.id,
      attempt: 2,
      seed: 42,
      promptTags: ['sunset'],
    });
    expect(retried.attempt).toBe(2);
    expect(retried.messageId).not.toBe(generation.id);
    expect(await balanceOf(market.customer.id)).toBe(balance);

    // A stale progress from attempt 1 is ignored; attempt 2's is applied.
    expect(
      (await sendWebhook(api, 'generationProgress', progressReport(generation.id, 1, 7))).body.status,
    ).toBe('ignored');
    expect(
      (await sendWebhook(api, 'generationProgress', progressReport(generation.id, 2, 2))).body.status,
    ).toBe('applied');
    expect((await sendWebhook(api, 'generationComplete', completeReport(generation.id, 2))).body.status).toBe(
      'applied',
    );
    expect(await generationOf(generation.id)).toMatchObject({ status: 'completed', attempt: 2 });
    expect(await balanceOf(market.customer.id)).toBe(balance);
    await booksAreClean();
  });

  it('a late success of the failed attempt completes the generation and withdraws the retry still waiting', async () => {
    const generation = await submitGeneration(api, market.customer.viewer, market.style.id);
    const earnedBefore = await earnedOf(market.artist.id);
    const relay = api.runtime.deps.outbox;
    await relay.stop(); // the retry must still be waiting when the late success arrives
    try {
      expect(
        (await sendWebhook(api, 'generationFailed', failedReport(generation.id, 'NETWORK', 1))).body,
      ).toMatchObject({ retry: { attempt: 2 } });
      const waiting = {
        status: 'pending' as const,
        payload: { path: ['generationId'], equals: generation.id },
      };
      expect(await db().outboxMessage.count({ where: waiting })).toBe(1);
      expect(
        (await sendWebhook(api, 'generationComplete', completeReport(generation.id, 1))).body.status,
      ).toBe('applied');
      expect(await db().outboxMessage.count({ where: waiting })).toBe(0);
    } finally {
      relay.start();
    }
    expect(await generationOf(generation.id)).toMatchObject({ status: 'completed', attempt: 2 });
    expect((await sendWebhook(api, 'generationComplete', completeReport(generation.id, 2))).body.status).toBe(
      'ignored',
    );
    expect(await earnedOf(market.artist.id)).toBe(earnedBefore + COST);
    await booksAreClean();
  });

  it('a permanent failure fails at once, refunds in full and notifies — once, even when repeated', async () => {
    const generation = await submitGeneration(api, market.customer.viewer, market.style.id);
    const afterHold = await balanceOf(market.customer.id);
    const failed = await sendWebhook(api, 'generationFailed', failedReport(generation.id, 'BAD_PROMPT', 1));
    expect(failed.body.status).toBe('applied');
    expect(
      await sendWebhook(api, 'generationFailed', failedReport(generation.id, 'BAD_PROMPT', 1), {
        id: failed.id,
      }),
    ).toMatchObject({ body: { status: 'duplicate' } });
    expect(
      (await sendWebhook(api, 'generationFailed', failedReport(generation.id, 'GPU_OOM', 1))).body.status,
    ).toBe('ignored');
    expect((await sendWebhook(api, 'generationComplete', completeReport(generation.id))).body.status).toBe(
      'ignored',
    );
    expect(await generationOf(generation.id)).toMatchObject({
      status: 'failed',
      failure: { code: 'BAD_PROMPT' },
      resultImage: null,
    });
    expect(await balanceOf(market.customer.id)).toBe(afterHold + COST);
    expect((await notificationsOf(market.customer.id, generation.id)).map((n) => n.type)).toEqual([
      'generation_failed',
    ]);
    await booksAreClean();
  });

  it('a transient failure on the last attempt fails and refunds', async () => {
    const generation = await submitGeneration(api, market.customer.viewer, market.style.id);
    const afterHold = await balanceOf(market.customer.id);
    expect(
      (await sendWebhook(api, 'generationFailed', failedReport(generation.id, 'TIMEOUT', 1))).body,
    ).toMatchObject({ retry: { attempt: 2 } });
    expect(
      (await sendWebhook(api, 'generationFailed', failedReport(generation.id, 'GPU_OOM', 2))).body,
    ).toMatchObject({ retry: { attempt: 3, delayMs: 100 } });
    expect(await balanceOf(market.customer.id)).toBe(afterHold);
    const last = await sendWebhook(api, 'generationFailed', failedReport(generation.id, 'GPU_OOM', 3));
    expect(last.body).toEqual({ status: 'applied' });
    expect(await generationOf(generation.id)).toMatchObject({ status: 'failed', attempt: 3 });
    expect(await balanceOf(market.customer.id)).toBe(afterHold + COST);
    expect(
      await db().outboxMessage.count({
        where: { payload: { path: ['generationId'], equals: generation.id } },
      }),
    ).toBe(3);
    await booksAreClean();
  });
});

describe('the pipeline end to end on RabbitMQ', () => {
  it('a submitted generation reaches a real consumer through the relay, keyed by its id', async () => {
    const consumer = await api.rabbit.connect();
    const jobs = await collectJobs(consumer, JOB_QUEUES.generation);
    const generation = await submitGeneration(api, market.customer.viewer, market.style.id);
    await expect
      .poll(() => jobs.find((job) => job.messageId === generation.id), { timeout: 5_000 })
      .toBeDefined();
    const job = jobs.find((delivery) => delivery.messageId === generation.id)!;
    expect(job.body).toMatchObject({
      v: 1,
      generationId: generation.id,
      styleId: market.style.id,
      userId: market.customer.id,
      attempt: 1,
    });
    // The relay marks the row sent once the broker confirms, which can land after the delivery.
    await expect
      .poll(
        async () =>
          (await db().outboxMessage.findUniqueOrThrow({ where: { messageId: generation.id } })).status,
        { timeout: 5_000 },
      )
      .toBe('sent');
  });

  it('reports the broker and the relay lag on /api/ready', async () => {
    const res = await fetch(`${api.url}/api/ready`);
    const body = (await res.json()) as { checks: Record<string, Record<string, unknown>> };
    expect(body.checks.broker).toMatchObject({ status: 'up', driver: 'rabbitmq' });
    expect(body.checks.outbox).toMatchObject({
      status: 'up',
      pending: expect.any(Number),
      oldestDueAgeMs: expect.any(Number),
    });
  });
});
