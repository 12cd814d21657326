import { createHash, randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import {
  DomainError,
  idSchema,
  isDomainError,
  parseMessage,
  trainingJobSchema,
  type JobFailureCode,
  type TrainingJob,
} from '@stylelicense/contracts';
import { PermanentError, RetryableError, type JobDelivery } from '@stylelicense/queue';
import type { ObjectStorage } from '@stylelicense/storage';
import { untilAborted } from '@stylelicense/worker-runtime';
import { leaseSecondsFor, type TrainingWorkerConfig, type WorkerLog } from './config';
import { LowQualityDataError, type ArtworkPreparation } from './dataset/prepare';
import { scheduleForImageCount } from './engine/schedule';
import type { TrainerEngine } from './engine/types';
import { classifyFailure, isRetriedForTraining } from './failures';
import { ProgressBeat } from './progress';
import type { TrainingReporter } from './reporter';
import { styleFileKeys, uploadFile, uploadThumbnail, uploadTrainingLog } from './style-files';
import { trainStyle } from './train-style';

export interface TrainingHandlerDeps {
  storage: ObjectStorage;
  engine: TrainerEngine;
  reporter: TrainingReporter;
  config: Pick<
    TrainingWorkerConfig,
    'workerId' | 'workDir' | 'jobTimeLimitMs' | 'progressHeartbeatMs' | 'progressIntervalMs'
  >;
  /** Queue tries before a retryable failure is final (the broker's maxAttempts). */
  maxAttempts: number;
  /** Puts a claimed job back on its queue with the same attempt number (the worker is shutting down). */
  handBack(delivery: JobDelivery): Promise<void>;
  log: WorkerLog;
}

export interface TrainingMetricsReport {
  finalLoss: number | null;
  steps: number;
  durationSeconds: number;
}

export type TrainingOutcome =
  | { status: 'completed'; modelKey: string; thumbnailKey: string | null; metrics: TrainingMetricsReport }
  | { status: 'failed'; code: JobFailureCode }
  | { status: 'skipped'; reason: string }
  | { status: 'handed-back' };

type RejectedArtworkReport = { artworkId: string; reason: string };

/**
 * One training job from the queue, end to end. The order is what makes it crash-safe:
 *
 * 1. `started` is delivered to the API (style → training, lease begins) while the message is
 *    still unacked: a worker that dies here leaves the job with the broker, which redelivers it.
 *    If the API answers `ignored` (style unknown or already finished: a duplicate delivery), the
 *    job is dropped untrained.
 * 2. `delivery.claim()` acks the message (ack-on-claim), so a run longer than RabbitMQ's
 *    consumer timeout is not cut off. From here the API's lease is the only crash detector:
 *    progress reports (at least every heartbeat) renew it through `training_progress.updatedAt`.
 * 3. Dataset, training, upload of adapter + log + thumbnail, then `complete`.
 *
 * Failures: retryable ones (GPU_OOM, storage, network, a crashed trainer) are thrown as
 * RetryableError and the queue layer re-publishes the job to its retry tier, until the last
 * attempt; then, and for permanent ones, `failed` is reported exactly once and the job is done.
 * On shutdown the job is handed back to the queue, never reported as failed.
 */
export function createTrainingHandler(deps: TrainingHandlerDeps) {
  const { storage, reporter, config, log } = deps;

  return async function handleTraining(
    delivery: JobDelivery,
    shutdown: AbortSignal,
  ): Promise<TrainingOutcome> {
    const job = await readJob(delivery.body, reporter, log);
    const ids = { styleId: job.styleId, jobId: job.jobId };
    const context = { ...ids, attempt: job.attempt, queueAttempt: delivery.attempt };
    const workDir = join(config.workDir, `job-${job.jobId}-${randomUUID().slice(0, 8)}`);
    const keys = styleFileKeys(job.styleId, job.jobId);
    let beat: ProgressBeat | undefined;
    let rejected: RejectedArtworkReport[] = [];
    const honoured = new Set<string>(['seed', ...(deps.engine.honouredOptions ?? [])]);
    const unapplied = Object.keys(job.options).filter((option) => !honoured.has(option));
    if (unapplied.length)
      log.warn({ ...context, options: unapplied }, 'job options not applied: the engine settings decide');
    try {
      const started = await reporter.started({
        ...ids,
        attempt: job.attempt,
        workerId: config.workerId,
        leaseSeconds: leaseSecondsFor(config),
        startedAt: new Date().toISOString(),
      });
      if (started.status === 'ignored') {
        // A duplicate or stale job (at-least-once delivery): training it would only burn the GPU.
        const reason = started.reason ?? 'the style is unknown or its training already finished';
        log.warn({ ...context, reason }, 'the API declined the training job; dropped');
        return { status: 'skipped', reason };
      }
      shutdown.throwIfAborted();
      await delivery.claim();
      log.info({ ...context, deliveryCount: delivery.deliveryCount }, 'training job claimed');

      const progress = new ProgressBeat({
        send: (report) => reporter.progress({ ...ids, attempt: job.attempt, progress: report }),
        intervalMs: config.progressIntervalMs,
        heartbeatMs: config.progressHeartbeatMs,
      });
      beat = progress;
      // 0 % at once (the owner sees `training`); the schedule is re-read once the dataset is known.
      const expected = scheduleForImageCount(job.artworks.length);
      progress.report({
        epoch: 0,
        totalEpochs: expected.epochs,
        step: 0,
        totalSteps: expected.maxTrainSteps,
        percent: 0,
        etaSeconds: null,
        loss: null,
      });

      // A host that cannot train says so before downloading a single artwork.
      await deps.engine.checkReady();
      await mkdir(workDir, { recursive: true });
      const trained = await trainStyle({
        styleId: job.styleId,
        styleName: job.styleName,
        artworks: job.artworks.map((a) => ({
          id: a.artworkId,
          storageKey: a.imageKey,
          tags: a.tags,
          caption: a.caption,
        })),
        loadBytes: (key) => untilAborted(storage.get(key), shutdown),
        engine: deps.engine,
        workDir,
        seed: job.options.seed ?? seedFor(job.styleId),
        options: job.options,
        signal: shutdown,
        onProgress: (p) => progress.report(ProgressBeat.fromEngine(p)),
        onSample: async ({ epoch, image, prompt, seed }) => {
          const imageKey = keys.sample(epoch);
          await untilAborted(
            storage.put(imageKey, image, { contentType: 'image/png', contentLength: image.length }),
            shutdown,
          );
          const latest = progress.current();
          if (latest)
            reporter.progress({
              ...ids,
              attempt: job.attempt,
              progress: latest,
              sample: { epoch, imageKey, prompt, seed },
            });
        },
        timeLimitMs: config.jobTimeLimitMs,
      });
      rejected = rejectedReports(trained.dataset.results);

      const modelKey = keys.adapter;
      const { metrics: trainedMetrics } = trained.result;
      const metrics: TrainingMetricsReport = {
        finalLoss:
          trainedMetrics.finalLoss !== null && Number.isFinite(trainedMetrics.finalLoss)
            ? trainedMetrics.finalLoss
            : null,
        steps: trainedMetrics.steps,
        durationSeconds: trainedMetrics.durationSeconds,
      };
      await untilAborted(
        uploadFile(storage, modelKey, trained.result.artifactPath, 'application/octet-stream', {
          'style-id': job.styleId,
          'job-id': job.jobId,
          rank: String(trainedMetrics.rank),
          steps: String(metrics.steps),
        }),
        shutdown,
      );
      const logKey = await untilAborted(
        uploadTrainingLog(storage, keys.log, trained.result.logPath),
        shutdown,
      );
      const firstValid = trained.dataset.accepted[0];
      const thumbnailKey = firstValid
        ? await uploadThumbnail(storage, keys.thumbnail, firstValid.imagePath).catch((error: unknown) => {
            // The adapter is what the style needs; the API keeps the original artwork as its thumbnail.
            log.warn({ ...context, err: error }, 'thumbnail not made');
            return null;
          })
        : null;

      progress.stop();
      await reporter.progressSettled();
      await reporter.complete({
        ...ids,
        attempt: job.attempt,
        modelKey,
        metrics,
        thumbnailKey,
        logKey,
        rejectedArtworks: rejected,
      });
      log.info({ ...context, modelKey, thumbnailKey, ...metrics }, 'style trained');
      return { status: 'completed', modelKey, thumbnailKey, metrics };
    } catch (error) {
      beat?.stop();
      if (shutdown.aborted) {
        // Not a failure of the job: it goes back to the queue for the next worker (same attempt).
        if (delivery.claimed) {
          await deps.handBack(delivery).catch((handBackError: unknown) => {
            log.error(
              { ...context, err: handBackError },
              'could not hand the claimed job back; the queue layer re-publishes it',
            );
            throw new RetryableError('worker shutting down; hand-back failed');
          });
        }
        log.warn(context, 'worker shutting down: training job handed back to the queue');
        return { status: 'handed-back' };
      }
      // A refused `started` means a misconfigured API or secret: park the job for a human.
      if (!delivery.claimed && isDomainError(error, 'WEBHOOK_REJECTED'))
        throw new PermanentError(error.message);

      const failure = classifyFailure(error);
      if (error instanceof LowQualityDataError) rejected = rejectedReports(error.results);
      if (isRetriedForTraining(failure.code) && delivery.attempt < deps.maxAttempts) {
        log.warn({ ...context, code: failure.code, err: error }, 'training failed; the queue retries it');
        throw new RetryableError(`${failure.code}: ${failure.message}`, { cause: failure });
      }
      const logKey = await uploadTrainingLog(storage, keys.log, join(workDir, 'trainer.log')).catch(
        () => null,
      );
      const tries = delivery.attempt > 1 ? ` (after ${delivery.attempt} tries)` : '';
      await reporter.progressSettled();
      await reporter.failed({
        ...ids,
        // Final: the worker has used the queue's retries already, so nothing will retry this report.
        failure: {
          code: failure.code,
          message: `${failure.message}${tries}`.slice(0, 2000),
          retryable: false,
          attempt: job.attempt,
        },
        logKey,
        rejectedArtworks: rejected,
      });
      log.warn({ ...context, code: failure.code, message: failure.message }, 'training failed');
      return { status: 'failed', code: failure.code };
    } finally {
      beat?.stop();
      await rm(workDir, { recursive: true, force: true });
    }
  };
}

/**
 * Parses the job. An unknown message version is parked untouched (a newer worker may read it);
 * a known version with bad fields is reported as failed when it names its style (so the style
 * does not sit in `pending` forever), then parked.
 */
async function readJob(body: unknown, reporter: TrainingReporter, log: WorkerLog): Promise<TrainingJob> {
  try {
    return parseMessage(trainingJobSchema, body);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'VALIDATION_ERROR') {
      const raw = body as { styleId?: unknown; jobId?: unknown; attempt?: unknown } | null;
      const styleId = idSchema.safeParse(raw?.styleId);
      const jobId = idSchema.safeParse(raw?.jobId);
      const attempt =
        typeof raw?.attempt === 'number' &&
        Number.isInteger(raw.attempt) &&
        raw.attempt >= 1 &&
        raw.attempt <= 20
          ? raw.attempt
          : 1;
      if (styleId.success && jobId.success) {
        await reporter
          .failed({
            styleId: styleId.data,
            jobId: jobId.data,
            failure: {
              code: 'INTERNAL',
              message: `the training job could not be read: ${error.message}`.slice(0, 2000),
              retryable: false,
              attempt,
            },
            logKey: null,
            rejectedArtworks: [],
          })
          .catch((reportError: unknown) =>
            log.error({ err: reportError }, 'could not report an unreadable job'),
          );
      }
    }
    log.error({ err: error }, 'unreadable training job: parked');
    throw new PermanentError(error instanceof Error ? error.message : String(error));
  }
}

function rejectedReports(results: readonly ArtworkPreparation[]): RejectedArtworkReport[] {
  return results.flatMap((r) =>
    r.accepted ? [] : [{ artworkId: r.artworkId, reason: `${r.reason}: ${r.detail}`.slice(0, 500) }],
  );
}

/** A stable seed per style when the job pins none: a retry trains the same adapter. */
function seedFor(styleId: string): number {
  return createHash('sha256').update(styleId).digest().readUInt32BE(0);
}
