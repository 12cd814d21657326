import {
  DomainError,
  generationJobSchema,
  idSchema,
  JobFailure,
  parseMessage,
  type GenerationJob,
} from '@stylelicense/contracts';
import type { DiffusionWorker } from '@stylelicense/diffusion';
import { stampSignature, type ProvenanceSigner } from '@stylelicense/imaging';
import { PermanentError, RetryableError } from '@stylelicense/queue';
import { storageKeys, type ObjectInfo, type ObjectStorage } from '@stylelicense/storage';
import { untilAborted } from '@stylelicense/worker-runtime';
import type { InferenceWorkerConfig, WorkerLog } from './config';
import { classifyFailure } from './failures';
import { ProgressMilestones } from './progress';
import { artistIdOf, promptFor } from './prompt';
import type { GenerationReporter } from './reporter';
import type { LoraCache, SignatureCache } from './style-inputs';

export interface GenerationHandlerDeps {
  storage: ObjectStorage;
  diffusion: Pick<DiffusionWorker, 'generate'>;
  reporter: GenerationReporter;
  loras: LoraCache;
  signatures: SignatureCache;
  /** Resolved model folder (see resolveModelDir). */
  modelDir: string;
  config: Pick<
    InferenceWorkerConfig,
    'steps' | 'guidance' | 'loraStrength' | 'outputFormat' | 'jobTimeoutMs'
  >;
  /** The product's key: every stored result carries a manifest signed with it. */
  provenance: ProvenanceSigner;
  log: WorkerLog;
}

export type GenerationOutcome =
  | { status: 'completed'; resultKey: string; timings: JobTimings; steps: number }
  | { status: 'already-completed'; resultKey: string }
  | { status: 'failed'; code: string; retryable: boolean }
  /** Its owner cancelled the generation while it ran: stopped, nothing reported or stored. */
  | { status: 'cancelled' };

export interface JobTimings {
  inputsMs: number;
  pipelineMs: number;
  stampMs: number;
  uploadMs: number;
  totalMs: number;
}

/** The job was stopped because the worker is shutting down; the broker already has it back. */
export class HandedBack extends RetryableError {}

/**
 * One generation job, transport-agnostic: the broker adapter passes the message body and a
 * signal that aborts when the worker shuts down. Resolves once the outcome is reported; throws
 * PermanentError for a message it cannot read (the broker parks it) and HandedBack when stopped.
 *
 * Failures are reported to the API (`failed` with code, retryable and attempt) and the message
 * is then acked: the API owns retries, back-off and refunds (it republishes the next attempt
 * through its outbox), so the broker's own retry tiers are not used for generation jobs.
 */
export function createGenerationHandler(deps: GenerationHandlerDeps) {
  const { storage, reporter, log, config } = deps;
  const extension = config.outputFormat;

  return async function handleGeneration(body: unknown, shutdown?: AbortSignal): Promise<GenerationOutcome> {
    const job = await readJob(body, reporter, log);
    const resultKey = storageKeys.result(job.generationId, extension);
    const timeout = new AbortController();
    const timer = setTimeout(
      () => timeout.abort(new JobFailure('TIMEOUT', `generation ran past ${config.jobTimeoutMs} ms`)),
      config.jobTimeoutMs,
    );
    const cancelled = new AbortController();
    const signal = AbortSignal.any([cancelled.signal, timeout.signal, ...(shutdown ? [shutdown] : [])]);
    try {
      // A redelivered job whose signed result is already stored: report it again, compute nothing.
      const existing = await untilAborted(storage.head(resultKey), signal);
      if (existing) return await reportExisting(job, resultKey, existing);
      return await generate(job, resultKey, signal, () => cancelled.abort());
    } catch (error) {
      if (shutdown?.aborted)
        throw new HandedBack(`worker shutting down; generation ${job.generationId} handed back`);
      if (cancelled.signal.aborted) {
        // The API already refunded it and ignores any further report about it.
        log.info(
          { generationId: job.generationId, attempt: job.attempt },
          'generation cancelled by its owner',
        );
        return { status: 'cancelled' };
      }
      const reason: unknown = signal.aborted ? signal.reason : error;
      const classified = classifyFailure(reason);
      log.warn(
        {
          generationId: job.generationId,
          attempt: job.attempt,
          code: classified.code,
          retryable: classified.retryable,
          err: error,
        },
        'generation failed',
      );
      await reporter.progressSettled();
      await reporter.failed({
        generationId: job.generationId,
        failure: {
          code: classified.code,
          message: classified.message.slice(0, 2000) || classified.code,
          retryable: classified.retryable,
          attempt: job.attempt,
        },
      });
      return { status: 'failed', code: classified.code, retryable: classified.retryable };
    } finally {
      clearTimeout(timer);
    }
  };

  async function generate(
    job: GenerationJob,
    resultKey: string,
    signal: AbortSignal,
    cancel: () => void,
  ): Promise<GenerationOutcome> {
    const started = performance.now();
    const steps = config.steps ?? job.steps;
    const guidance = config.guidance ?? job.guidance;
    const progress = (p: Parameters<GenerationReporter['progress']>[0]['progress']) =>
      reporter.progress({ generationId: job.generationId, attempt: job.attempt, progress: p }, cancel);
    const milestones = new ProgressMilestones(progress);
    milestones.started(steps);

    const [lora, signature] = await untilAborted(
      Promise.all([deps.loras.fetch(job.loraModelKey), deps.signatures.fetch(job.signatureKey)]),
      signal,
    );
    const inputsDone = performance.now();
    const image = await deps.diffusion.generate(
      {
        modelDir: deps.modelDir,
        prompt: promptFor(job),
        width: job.width,
        height: job.height,
        steps,
        guidanceScale: guidance,
        seed: job.seed,
        lora: { path: lora.path, strength: config.loraStrength },
      },
      { signal, onProgress: (p) => milestones.onStep(p.step, p.totalSteps, p.etaSeconds) },
    );
    const pipelineDone = performance.now();
    const stamped = await untilAborted(
      stampSignature({
        image: image.pixels,
        raw: { width: image.width, height: image.height },
        signaturePng: signature.bytes,
        signatureKey: signature.cacheKey,
        metadata: {
          artist: job.artistName,
          artistId: artistIdOf(job.signatureKey),
          style: job.styleName,
          styleId: job.styleId,
          generationId: job.generationId,
          license: job.licenseType,
          seed: job.seed,
        },
        format: extension,
        provenance: deps.provenance,
      }).catch((error: unknown) => {
        // The image is ours and valid, so a refusal here is about the artist's signature file.
        if (error instanceof DomainError)
          throw new JobFailure('SIGNATURE_MISSING', `artist signature unusable: ${error.message}`, {
            cause: error,
          });
        throw error;
      }),
      signal,
    );
    const stampDone = performance.now();
    const metadata = { seed: job.seed, steps, guidance, width: stamped.width, height: stamped.height };
    // Only the signed file is ever stored; its metadata lets a redelivery re-report without recomputing.
    await untilAborted(
      storage.put(resultKey, stamped.bytes, {
        contentType: stamped.contentType,
        contentLength: stamped.bytes.byteLength,
        metadata: { 'generation-id': job.generationId, ...toObjectMetadata(metadata) },
      }),
      signal,
    );
    const uploadDone = performance.now();
    await reporter.progressSettled();
    await reporter.complete({ generationId: job.generationId, attempt: job.attempt, resultKey, metadata });
    const timings: JobTimings = {
      inputsMs: inputsDone - started,
      pipelineMs: pipelineDone - inputsDone,
      stampMs: stampDone - pipelineDone,
      uploadMs: uploadDone - stampDone,
      totalMs: performance.now() - started,
    };
    log.info(
      {
        generationId: job.generationId,
        attempt: job.attempt,
        resultKey,
        provider: image.provider,
        loraDownloaded: lora.downloaded,
        ...roundTimings(timings),
      },
      'generation completed',
    );
    return { status: 'completed', resultKey, timings, steps };
  }

  async function reportExisting(
    job: GenerationJob,
    resultKey: string,
    info: ObjectInfo,
  ): Promise<GenerationOutcome> {
    const stored = fromObjectMetadata(info.metadata);
    const metadata = stored ?? {
      seed: job.seed,
      steps: config.steps ?? job.steps,
      guidance: config.guidance ?? job.guidance,
      width: job.width,
      height: job.height,
    };
    log.info(
      { generationId: job.generationId, attempt: job.attempt, resultKey },
      'result already stored: reporting it again',
    );
    await reporter.complete({ generationId: job.generationId, attempt: job.attempt, resultKey, metadata });
    return { status: 'already-completed', resultKey };
  }
}

/**
 * Parses the job. An unknown message version is parked untouched (a newer worker may read it);
 * a known version with bad fields is reported as BAD_PROMPT when it names its generation, so
 * the user is refunded, and parked.
 */
async function readJob(body: unknown, reporter: GenerationReporter, log: WorkerLog): Promise<GenerationJob> {
  try {
    return parseMessage(generationJobSchema, body);
  } catch (error) {
    if (error instanceof DomainError && error.code === 'VALIDATION_ERROR') {
      const raw = body as { generationId?: unknown; attempt?: unknown } | null;
      const id = idSchema.safeParse(raw?.generationId);
      const attempt =
        typeof raw?.attempt === 'number' &&
        Number.isInteger(raw.attempt) &&
        raw.attempt >= 1 &&
        raw.attempt <= 20
          ? raw.attempt
          : 1;
      if (id.success) {
        await reporter
          .failed({
            generationId: id.data,
            failure: { code: 'BAD_PROMPT', message: error.message.slice(0, 2000), retryable: false, attempt },
          })
          .catch((reportError: unknown) =>
            log.error({ err: reportError }, 'could not report an invalid job'),
          );
      }
    }
    log.error({ err: error }, 'unreadable generation job: parked');
    throw new PermanentError(error instanceof Error ? error.message : String(error));
  }
}

type ResultMetadata = { seed: number; steps: number; guidance: number; width: number; height: number };
const METADATA_FIELDS = ['seed', 'steps', 'guidance', 'width', 'height'] as const;

function toObjectMetadata(metadata: ResultMetadata): Record<string, string> {
  return Object.fromEntries(METADATA_FIELDS.map((field) => [field, String(metadata[field])]));
}

/** Null when the object was not written by this worker (missing or non-numeric fields). */
function fromObjectMetadata(stored: Record<string, string>): ResultMetadata | null {
  const entries = METADATA_FIELDS.map(
    (field) => [field, stored[field] === undefined ? Number.NaN : Number(stored[field])] as const,
  );
  if (entries.some(([, value]) => !Number.isFinite(value))) return null;
  return Object.fromEntries(entries) as ResultMetadata;
}

function roundTimings(timings: Record<keyof JobTimings, number>): Record<string, number> {
  return Object.fromEntries(Object.entries<number>(timings).map(([name, ms]) => [name, Math.round(ms)]));
}
