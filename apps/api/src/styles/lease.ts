import { randomUUID } from 'node:crypto';
import { trainingJobSchema, type DomainEvent } from '@stylelicense/contracts';
import { withTransaction, type Database, type TransactionClient } from '@stylelicense/db';
import { ATTEMPT_HEADER, JOB_QUEUES } from '@stylelicense/queue';
import { notify } from '../notifications/notifications';
import { enqueueOutboxMessage } from '../messaging/outbox';

// Training workers ack a job when they claim it (a run outlasts RabbitMQ's consumer timeout), so
// from then on the broker cannot notice a dead worker: the API does, by the style's heartbeat.
// Every `started` and `progress` report renews it (styles.updated_at); a style still `training`
// whose heartbeat is older than the lease has lost its worker.

export interface TrainingLeasePolicy {
  /** How long a training style may stay silent; longer than the workers' own lease (6 heartbeats). */
  leaseMs: number;
  /** Attempts in all; the job is sent again until then, then the style fails. */
  maxAttempts: number;
}

export interface LeaseSweep {
  requeued: string[];
  failed: string[];
  events: DomainEvent[];
}

const SWEEP_BATCH = 50;

/** One pass: each expired style is requeued (next attempt, no charge) or failed, in its own transaction. */
export async function sweepExpiredTrainingLeases(
  db: Database,
  policy: TrainingLeasePolicy,
): Promise<LeaseSweep> {
  const sweep: LeaseSweep = { requeued: [], failed: [], events: [] };
  const expired = await db.$queryRaw<Array<{ id: string }>>`
    SELECT id::text FROM styles
     WHERE training_status = 'training' AND updated_at < now() - ${policy.leaseMs} * interval '1 millisecond'
     ORDER BY updated_at LIMIT ${SWEEP_BATCH}`;
  for (const { id } of expired) {
    await withTransaction(db, async (tx) => {
      const outcome = await recoverStyle(tx, id, policy);
      if (!outcome) return;
      if (outcome.action === 'requeued') sweep.requeued.push(id);
      else sweep.failed.push(id);
      sweep.events.push(...outcome.events);
    });
  }
  return sweep;
}

async function recoverStyle(
  tx: TransactionClient,
  styleId: string,
  policy: TrainingLeasePolicy,
): Promise<{ action: 'requeued' | 'failed'; events: DomainEvent[] } | null> {
  // Re-checked under the row lock: another instance, or a late report, may have got here first.
  const rows = await tx.$queryRaw<Array<{ artist_id: string; name: string }>>`
    SELECT artist_id::text, name FROM styles
     WHERE id = ${styleId}::uuid AND training_status = 'training'
       AND updated_at < now() - ${policy.leaseMs} * interval '1 millisecond'
     FOR UPDATE SKIP LOCKED`;
  const style = rows[0];
  if (!style) return null;
  const job = await lastTrainingJobOf(tx, styleId);
  const attempt = (job?.attempt ?? policy.maxAttempts) + 1;
  const occurredAt = new Date().toISOString();
  if (job && attempt <= policy.maxAttempts) {
    await tx.$executeRaw`
      UPDATE styles SET training_status = 'pending', training_progress = NULL, updated_at = now() WHERE id = ${styleId}::uuid`;
    await enqueueOutboxMessage(tx, {
      destination: JOB_QUEUES.training,
      payload: { ...job, attempt, requestedAt: occurredAt },
      messageId: randomUUID(),
      headers: { [ATTEMPT_HEADER]: attempt },
    });
    const event: DomainEvent = {
      v: 1,
      type: 'training.updated',
      ownerId: style.artist_id,
      styleId,
      status: 'pending',
      progress: null,
      occurredAt,
    };
    return { action: 'requeued', events: [event] };
  }
  const error = {
    code: 'WORKER_SHUTDOWN',
    message: 'The training worker stopped reporting and the job ran out of attempts.',
    at: occurredAt,
  };
  await tx.$executeRaw`
    UPDATE styles SET training_status = 'failed', training_error = ${JSON.stringify(error)}::jsonb, updated_at = now() WHERE id = ${styleId}::uuid`;
  const notification = await notify(tx, {
    recipientId: style.artist_id,
    actorId: null,
    type: 'style_training_failed',
    targetType: 'style',
    targetId: styleId,
    metadata: { styleName: style.name, code: error.code, message: error.message },
    dedupeKey: `style_training_failed:${styleId}`,
  });
  const event: DomainEvent = {
    v: 1,
    type: 'training.updated',
    ownerId: style.artist_id,
    styleId,
    status: 'failed',
    progress: null,
    occurredAt,
  };
  return { action: 'failed', events: notification ? [event, notification] : [event] };
}

async function lastTrainingJobOf(tx: TransactionClient, styleId: string) {
  const rows = await tx.$queryRaw<Array<{ payload: unknown }>>`
    SELECT payload FROM outbox_messages
     WHERE destination = ${JOB_QUEUES.training} AND payload @> jsonb_build_object('styleId', ${styleId}::text)
     ORDER BY id DESC LIMIT 1`;
  const parsed = trainingJobSchema.safeParse(rows[0]?.payload);
  return parsed.success ? parsed.data : null;
}
