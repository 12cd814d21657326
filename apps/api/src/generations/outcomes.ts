import { randomUUID } from 'node:crypto';
import {
  FINAL_GENERATION_STATUSES,
  generationJobSchema,
  isRetryableFailure,
  type DomainEvent,
  type GenerationCompleteWebhook,
  type GenerationFailedWebhook,
  type GenerationProgress,
  type GenerationProgressWebhook,
  type GenerationStatus,
} from '@stylelicense/contracts';
import { Prisma, queryRows, type Database, type TransactionClient } from '@stylelicense/db';
import { ATTEMPT_HEADER, JOB_QUEUES } from '@stylelicense/queue';
import { refundGeneration, settleGeneration } from '../tokens/ledger';
import { notify } from '../notifications/notifications';
import { enqueueOutboxMessage } from '../messaging/outbox';
import type { Outcome } from '../common/outcome';

// What the inference worker's reports do to a generation. Every change is conditional on the
// row's current state (locked FOR UPDATE), so repeated, late or out-of-order reports change
// nothing: a finished generation never moves again, a report from an older attempt is ignored.

export interface GenerationRetryPolicy {
  /** Wait before attempt 2, 3, …; attempts in all = delays + 1. */
  delaysMs: readonly number[];
}

interface LockedGeneration {
  id: string;
  user_id: string;
  style_id: string;
  status: GenerationStatus;
  attempt: number;
  created_at: Date;
}

async function lockGeneration(tx: TransactionClient, generationId: string): Promise<LockedGeneration | null> {
  const rows = await tx.$queryRaw<LockedGeneration[]>`
    SELECT id::text, user_id::text, style_id::text, status::text AS status, attempt, created_at
      FROM generations WHERE id = ${generationId}::uuid FOR UPDATE`;
  return rows[0] ?? null;
}

function updateEvent(
  generation: LockedGeneration,
  status: GenerationStatus,
  progress: GenerationProgress | null,
): DomainEvent {
  return {
    v: 1,
    type: 'generation.updated',
    ownerId: generation.user_id,
    generationId: generation.id,
    status,
    progress,
    occurredAt: new Date().toISOString(),
  };
}

/**
 * Progress is the hot path (many per generation), so it is one statement: the receipt insert and
 * the conditional update commit together, and a replayed webhook id updates nothing.
 */
export async function applyGenerationProgress(
  db: Database,
  webhookId: string,
  report: GenerationProgressWebhook,
): Promise<Outcome> {
  // The hottest webhook (several per generation): one prepared statement through the pool.
  const rows = await queryRows<{ fresh: boolean; owner_id: string | null; cancelled: boolean | null }>(
    db,
    'generation_progress',
    Prisma.sql`
    WITH receipt AS (
      INSERT INTO webhook_receipts (id, source) VALUES (${webhookId}, 'inference')
      ON CONFLICT (id) DO NOTHING RETURNING id
    ), updated AS (
      UPDATE generations
         SET status = 'processing', generation_progress = ${JSON.stringify(report.progress)}::jsonb, attempt = ${report.attempt},
             started_at = COALESCE(started_at, now()), updated_at = now()
       WHERE id = ${report.generationId}::uuid AND status IN ('queued', 'processing', 'retrying')
         AND attempt <= ${report.attempt} AND EXISTS (SELECT 1 FROM receipt)
      RETURNING user_id
    )
    SELECT EXISTS (SELECT 1 FROM receipt) AS fresh, (SELECT user_id::text FROM updated) AS owner_id,
           (SELECT status = 'cancelled' FROM generations WHERE id = ${report.generationId}::uuid) AS cancelled`,
  );
  const row = rows[0]!;
  // The owner cancelled it: the answer tells the worker to stop at its next step.
  if (row.cancelled)
    return { result: 'ignored', reason: 'the generation was cancelled', stop: true, events: [] };
  if (!row.fresh) return { result: 'duplicate', events: [] };
  if (!row.owner_id)
    return {
      result: 'ignored',
      reason: 'the generation is unknown, finished or on a later attempt',
      events: [],
    };
  const generation = {
    id: report.generationId,
    user_id: row.owner_id,
    style_id: '',
    status: 'processing' as const,
    attempt: report.attempt,
    created_at: new Date(),
  };
  return { result: 'applied', events: [updateEvent(generation, 'processing', report.progress)] };
}

/** Completed: stores the signed result, credits the artist, counts the use, notifies the owner — once. */
export async function applyGenerationComplete(
  tx: TransactionClient,
  report: GenerationCompleteWebhook,
): Promise<Outcome> {
  const generation = await lockGeneration(tx, report.generationId);
  if (!generation) return { result: 'ignored', reason: 'unknown generation', events: [] };
  if (FINAL_GENERATION_STATUSES.includes(generation.status))
    return { result: 'ignored', reason: `the generation is already ${generation.status}`, events: [] };
  const { steps } = report.metadata;
  const progress: GenerationProgress = { step: steps, totalSteps: steps, percent: 100, etaSeconds: 0 };
  await tx.$executeRaw`
    UPDATE generations
       SET status = 'completed', result_image = ${report.resultKey}, result_metadata = ${JSON.stringify(report.metadata)}::jsonb,
           generation_progress = ${JSON.stringify(progress)}::jsonb, attempt = GREATEST(attempt, ${report.attempt}),
           started_at = COALESCE(started_at, now()), completed_at = now(), updated_at = now()
     WHERE id = ${generation.id}::uuid`;
  // A late success of an earlier attempt: the next attempt, still waiting out its back-off, is not needed.
  await tx.$executeRaw`
    DELETE FROM outbox_messages
     WHERE status = 'pending' AND destination = ${JOB_QUEUES.generation}
       AND payload @> jsonb_build_object('generationId', ${generation.id}::text)`;
  await settleGeneration(tx, { generationId: generation.id });
  await tx.$executeRaw`UPDATE styles SET usage_count = usage_count + 1 WHERE id = ${generation.style_id}::uuid`;
  const notification = await notify(tx, {
    recipientId: generation.user_id,
    actorId: null,
    type: 'generation_complete',
    targetType: 'generation',
    targetId: generation.id,
    metadata: { styleId: generation.style_id },
    dedupeKey: `generation_complete:${generation.id}`,
  });
  return {
    result: 'applied',
    durationSeconds: (Date.now() - generation.created_at.getTime()) / 1000,
    events: [updateEvent(generation, 'completed', progress), notification].filter(isEvent),
  };
}

/**
 * Failed: a transient failure before the last attempt schedules the next attempt through the
 * outbox after its back-off (no new charge); a permanent one or the last attempt fails the
 * generation, refunds the hold in full and notifies the owner — once.
 */
export async function applyGenerationFailed(
  tx: TransactionClient,
  report: GenerationFailedWebhook,
  policy: GenerationRetryPolicy,
): Promise<Outcome> {
  const generation = await lockGeneration(tx, report.generationId);
  if (!generation) return { result: 'ignored', reason: 'unknown generation', events: [] };
  if (FINAL_GENERATION_STATUSES.includes(generation.status))
    return { result: 'ignored', reason: `the generation is already ${generation.status}`, events: [] };
  const { failure } = report;
  if (failure.attempt < generation.attempt) {
    return {
      result: 'ignored',
      reason: `attempt ${failure.attempt} was superseded by attempt ${generation.attempt}`,
      events: [],
    };
  }
  const recorded = JSON.stringify({
    code: failure.code,
    message: failure.message,
    attempt: failure.attempt,
    at: new Date().toISOString(),
  });
  const maxAttempts = policy.delaysMs.length + 1;
  if (isRetryableFailure(failure.code) && failure.attempt < maxAttempts) {
    const job = await lastJobOf(tx, generation.id);
    if (job) {
      const attempt = failure.attempt + 1;
      const delayMs = policy.delaysMs[failure.attempt - 1] ?? 0;
      await tx.$executeRaw`
        UPDATE generations SET status = 'retrying', attempt = ${attempt}, failure = ${recorded}::jsonb,
               generation_progress = NULL, updated_at = now()
         WHERE id = ${generation.id}::uuid`;
      await enqueueOutboxMessage(tx, {
        destination: JOB_QUEUES.generation,
        payload: { ...job, attempt, requestedAt: new Date().toISOString() },
        messageId: randomUUID(),
        headers: { [ATTEMPT_HEADER]: attempt },
        availableAt: new Date(Date.now() + delayMs),
      });
      return {
        result: 'applied',
        retry: { attempt, delayMs },
        events: [updateEvent(generation, 'retrying', null)],
      };
    }
    // Without the original job there is nothing to send again: fail and refund rather than hang.
  }
  await tx.$executeRaw`
    UPDATE generations SET status = 'failed', failure = ${recorded}::jsonb, attempt = GREATEST(attempt, ${failure.attempt}),
           completed_at = now(), updated_at = now()
     WHERE id = ${generation.id}::uuid`;
  await refundGeneration(tx, { generationId: generation.id });
  const notification = await notify(tx, {
    recipientId: generation.user_id,
    actorId: null,
    type: 'generation_failed',
    targetType: 'generation',
    targetId: generation.id,
    metadata: { code: failure.code, message: failure.message, refunded: true },
    dedupeKey: `generation_failed:${generation.id}`,
  });
  return {
    result: 'applied',
    events: [updateEvent(generation, 'failed', null), notification].filter(isEvent),
  };
}

/** The job as last sent (the submission's outbox row, or the latest retry's). */
async function lastJobOf(
  tx: TransactionClient,
  generationId: string,
): Promise<Record<string, unknown> | null> {
  const rows = await tx.$queryRaw<Array<{ payload: unknown }>>`
    SELECT payload FROM outbox_messages
     WHERE destination = ${JOB_QUEUES.generation} AND payload @> jsonb_build_object('generationId', ${generationId}::text)
     ORDER BY id DESC LIMIT 1`;
  const parsed = generationJobSchema.safeParse(rows[0]?.payload);
  return parsed.success ? parsed.data : null;
}

function isEvent(event: DomainEvent | null): event is DomainEvent {
  return event !== null;
}
