import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appRouter } from '../src/app-router';
import { createLogger } from '../src/logger';
import { ledgerKeys, reconcile } from '../src/tokens/ledger';
import { createCallerFactory } from '../src/trpc/init';
import type { Viewer } from '../src/trpc/context';
import { codeOf } from './marketplace';
import {
  completeReport,
  progressReport,
  seedMarket,
  sendWebhook,
  startPipelineApi,
  submitGeneration,
  type PipelineApi,
} from './pipeline-fixtures';

let api: PipelineApi;
beforeAll(async () => {
  api = await startPipelineApi();
});
afterAll(() => api?.stop());

const callerFor = (viewer: Viewer) =>
  createCallerFactory(appRouter)({
    deps: api.runtime.deps,
    log: createLogger('silent'),
    requestId: 'test',
    ip: '127.0.0.1',
    viewer,
  });

async function ledgerOf(generationId: string) {
  const entries = await api.runtime.deps.db.transaction.findMany({ where: { generationId } });
  return entries.map((entry) => entry.type).sort();
}

describe('cancelling a generation', () => {
  it('the owner cancels a running generation: refunded once, the worker is told to stop, a late completion changes nothing', async () => {
    const { customer, style } = await seedMarket(api, { cost: 10 });
    const generation = await submitGeneration(api, customer.viewer, style.id);
    expect((await sendWebhook(api, 'generationProgress', progressReport(generation.id))).body.status).toBe(
      'applied',
    );
    const caller = callerFor(customer.viewer);
    const cancelled = await caller.generations.cancel({ generationId: generation.id });
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.owner?.refunded).toBe(true);
    expect((await caller.tokens.balance()).tokenBalance).toBe(100);

    // The worker's next progress report is answered "stop"; its completion is ignored.
    const progress = await sendWebhook(api, 'generationProgress', progressReport(generation.id, 1, 10));
    expect(progress.body).toMatchObject({ status: 'ignored', stop: true });
    const late = await sendWebhook(api, 'generationComplete', completeReport(generation.id));
    expect(late.body.status).toBe('ignored');
    expect(await ledgerOf(generation.id)).toEqual(['generation', 'refund']);

    expect(await codeOf(caller.generations.cancel({ generationId: generation.id }))).toBe(
      'GENERATION_NOT_CANCELLABLE',
    );
    expect((await caller.tokens.balance()).tokenBalance).toBe(100);
  });

  it('a queued job not yet published is dropped; another user cannot cancel it', async () => {
    const { customer, style } = await seedMarket(api);
    await api.runtime.deps.outbox.stop(); // keep the job in the outbox
    const generation = await submitGeneration(api, customer.viewer, style.id);
    const { customer: stranger } = await seedMarket(api);
    expect(await codeOf(callerFor(stranger.viewer).generations.cancel({ generationId: generation.id }))).toBe(
      'GENERATION_NOT_FOUND',
    );
    await callerFor(customer.viewer).generations.cancel({ generationId: generation.id });
    const queued = await api.runtime.deps.db.outboxMessage.count({
      where: { status: 'pending', payload: { path: ['generationId'], equals: generation.id } },
    });
    expect(queued).toBe(0);
  });

  it('under a racing completion, each generation ends either completed (artist paid) or cancelled (refunded) — never both, never twice', async () => {
    const { customer, style } = await seedMarket(api, { cost: 5 });
    const caller = callerFor(customer.viewer);
    const generations = [];
    for (let i = 0; i < 8; i++) generations.push(await submitGeneration(api, customer.viewer, style.id));
    await Promise.all(
      generations.map((generation) =>
        Promise.all([
          caller.generations.cancel({ generationId: generation.id }).catch((error: unknown) => error),
          sendWebhook(api, 'generationComplete', completeReport(generation.id)),
          caller.generations.cancel({ generationId: generation.id }).catch((error: unknown) => error),
        ]),
      ),
    );
    let cancelledCount = 0;
    for (const generation of generations) {
      const row = await api.runtime.deps.db.generation.findUniqueOrThrow({ where: { id: generation.id } });
      const ledger = await ledgerOf(generation.id);
      if (row.status === 'cancelled') {
        cancelledCount += 1;
        expect(ledger).toEqual(['generation', 'refund']);
      } else {
        expect(row.status).toBe('completed');
        expect(ledger).toEqual(['earning', 'generation']);
      }
    }
    const refunds = await api.runtime.deps.db.transaction.count({
      where: { idempotencyKey: { in: generations.map((g) => ledgerKeys.refund(g.id)) } },
    });
    expect(refunds).toBe(cancelledCount);
    expect((await caller.tokens.balance()).tokenBalance).toBe(
      100 - 5 * (generations.length - cancelledCount),
    );
    expect(await reconcile(api.runtime.deps.db)).toEqual([]);
  });
});
