import type {
  DomainEvent,
  TrainingCompleteWebhook,
  TrainingFailedWebhook,
  TrainingProgress,
  TrainingProgressWebhook,
  TrainingSample,
  TrainingStartedWebhook,
  TrainingStatus,
} from '@stylelicense/contracts';
import type { Database, TransactionClient } from '@stylelicense/db';
import { notify } from '../notifications/notifications';
import type { Outcome } from '../common/outcome';

// What the training worker's reports do to a style: pending → training → completed | failed.
// Conditional on the locked row, so a late progress never reopens a finished style and a second
// completion or failure changes and notifies nothing.

interface LockedStyle {
  id: string;
  artist_id: string;
  name: string;
  training_status: TrainingStatus;
}

const FINISHED: readonly TrainingStatus[] = ['completed', 'failed'];

async function lockStyle(tx: TransactionClient, styleId: string): Promise<LockedStyle | null> {
  const rows = await tx.$queryRaw<LockedStyle[]>`
    SELECT id::text, artist_id::text, name, training_status::text AS training_status
      FROM styles WHERE id = ${styleId}::uuid FOR UPDATE`;
  return rows[0] ?? null;
}

function updateEvent(
  style: { id: string; artist_id: string },
  status: TrainingStatus,
  progress: TrainingProgress | null,
): DomainEvent {
  return {
    v: 1,
    type: 'training.updated',
    ownerId: style.artist_id,
    styleId: style.id,
    status,
    progress,
    occurredAt: new Date().toISOString(),
  };
}

/**
 * Started and progress: one statement each (receipt + conditional update commit together). A
 * progress report may carry the epoch's sample picture; it is kept only while the style trains.
 */
async function markTraining(
  db: Database,
  webhookId: string,
  styleId: string,
  progress: TrainingProgress | null,
  sample: { jobId: string; sample: TrainingSample } | null = null,
): Promise<Outcome> {
  const rows = await db.$queryRaw<Array<{ fresh: boolean; artist_id: string | null }>>`
    WITH receipt AS (
      INSERT INTO webhook_receipts (id, source) VALUES (${webhookId}, 'training')
      ON CONFLICT (id) DO NOTHING RETURNING id
    ), updated AS (
      UPDATE styles
         SET training_status = 'training',
             training_progress = COALESCE(${progress === null ? null : JSON.stringify(progress)}::jsonb, training_progress),
             updated_at = now()
       WHERE id = ${styleId}::uuid AND training_status IN ('pending', 'training') AND EXISTS (SELECT 1 FROM receipt)
      RETURNING artist_id
    ), sampled AS (
      INSERT INTO training_samples (style_id, job_id, epoch, image_key, prompt, seed)
      SELECT ${styleId}::uuid, ${sample?.jobId ?? null}::text, ${sample?.sample.epoch ?? null}::int,
             ${sample?.sample.imageKey ?? null}::text, ${sample?.sample.prompt ?? null}::text,
             ${sample?.sample.seed ?? null}::bigint
       WHERE ${sample !== null} AND EXISTS (SELECT 1 FROM updated)
      ON CONFLICT DO NOTHING
    )
    SELECT EXISTS (SELECT 1 FROM receipt) AS fresh, (SELECT artist_id::text FROM updated) AS artist_id`;
  const row = rows[0]!;
  if (!row.fresh) return { result: 'duplicate', events: [] };
  if (!row.artist_id)
    return { result: 'ignored', reason: 'the style is unknown or its training already finished', events: [] };
  return {
    result: 'applied',
    events: [updateEvent({ id: styleId, artist_id: row.artist_id }, 'training', progress)],
  };
}

export function applyTrainingStarted(
  db: Database,
  webhookId: string,
  report: TrainingStartedWebhook,
): Promise<Outcome> {
  return markTraining(db, webhookId, report.styleId, null);
}

export function applyTrainingProgress(
  db: Database,
  webhookId: string,
  report: TrainingProgressWebhook,
): Promise<Outcome> {
  const sample = report.sample ? { jobId: report.jobId, sample: report.sample } : null;
  return markTraining(db, webhookId, report.styleId, report.progress, sample);
}

async function markRejectedArtworks(
  tx: TransactionClient,
  styleId: string,
  rejected: Array<{ artworkId: string; reason: string }>,
) {
  for (const { artworkId, reason } of rejected) {
    await tx.$executeRaw`
      UPDATE artworks SET is_valid = false, validation_reason = ${reason.slice(0, 255)}
       WHERE id = ${artworkId}::uuid AND style_id = ${styleId}::uuid`;
  }
}

/** Completed: stores the LoRA file key, metrics and thumbnail, notifies the artist — once. */
export async function applyTrainingComplete(
  tx: TransactionClient,
  report: TrainingCompleteWebhook,
): Promise<Outcome> {
  const style = await lockStyle(tx, report.styleId);
  if (!style) return { result: 'ignored', reason: 'unknown style', events: [] };
  if (FINISHED.includes(style.training_status))
    return { result: 'ignored', reason: `training already ${style.training_status}`, events: [] };
  const metric = { ...report.metrics, jobId: report.jobId, attempt: report.attempt, logKey: report.logKey };
  await tx.$executeRaw`
    UPDATE styles
       SET training_status = 'completed', model_path = ${report.modelKey}, training_metric = ${JSON.stringify(metric)}::jsonb,
           thumbnail = COALESCE(${report.thumbnailKey}, thumbnail), training_error = NULL, updated_at = now()
     WHERE id = ${style.id}::uuid`;
  await markRejectedArtworks(tx, style.id, report.rejectedArtworks);
  const notification = await notify(tx, {
    recipientId: style.artist_id,
    actorId: null,
    type: 'style_training_complete',
    targetType: 'style',
    targetId: style.id,
    metadata: { styleName: style.name },
    dedupeKey: `style_training_complete:${style.id}`,
  });
  return {
    result: 'applied',
    events: [updateEvent(style, 'completed', null), ...(notification ? [notification] : [])],
  };
}

/** Failed: records the reason and notifies the artist — once. */
export async function applyTrainingFailed(
  tx: TransactionClient,
  report: TrainingFailedWebhook,
): Promise<Outcome> {
  const style = await lockStyle(tx, report.styleId);
  if (!style) return { result: 'ignored', reason: 'unknown style', events: [] };
  if (FINISHED.includes(style.training_status))
    return { result: 'ignored', reason: `training already ${style.training_status}`, events: [] };
  const { failure } = report;
  const error = {
    code: failure.code,
    message: failure.message,
    attempt: failure.attempt,
    jobId: report.jobId,
    logKey: report.logKey,
    at: new Date().toISOString(),
  };
  await tx.$executeRaw`
    UPDATE styles SET training_status = 'failed', training_error = ${JSON.stringify(error)}::jsonb, updated_at = now()
     WHERE id = ${style.id}::uuid`;
  await markRejectedArtworks(tx, style.id, report.rejectedArtworks);
  const notification = await notify(tx, {
    recipientId: style.artist_id,
    actorId: null,
    type: 'style_training_failed',
    targetType: 'style',
    targetId: style.id,
    metadata: { styleName: style.name, code: failure.code, message: failure.message },
    dedupeKey: `style_training_failed:${style.id}`,
  });
  return {
    result: 'applied',
    events: [updateEvent(style, 'failed', null), ...(notification ? [notification] : [])],
  };
}
