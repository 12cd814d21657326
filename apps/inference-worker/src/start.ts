import type { BrokerHealth } from '@stylelicense/queue';
import type { Registry } from 'prom-client';
import { JOB_QUEUES, type Broker } from '@stylelicense/queue';
import { DiffusionWorker, describeProvider, type DiffusionLogger } from '@stylelicense/diffusion';
import type { ObjectStorage, StorageHealth } from '@stylelicense/storage';
import { flushAndCloseReporter, takeJobs } from '@stylelicense/worker-runtime';
import type { InferenceWorkerConfig, WorkerLog } from './config';
import { developmentProvenanceKey, provenanceSigner } from '@stylelicense/imaging';
import { resolveModelDir } from './model';
import { createInferenceMetrics } from './metrics';
import { createGenerationReporter } from './reporter';
import { LoraCache, SignatureCache } from './style-inputs';
import { createGenerationHandler, HandedBack } from './worker';

export interface StartInferenceWorkerOptions {
  broker: Broker;
  storage: ObjectStorage;
  config: InferenceWorkerConfig;
  log: WorkerLog;
  /** The diffusion thread's entry module when running from a bundle (see the Dockerfile). */
  diffusionEntry?: URL;
}

export interface InferenceWorkerHealth {
  ok: boolean;
  stopping: boolean;
  busy: boolean;
  provider: string;
  modelDir: string;
  jobs: {
    completed: number;
    failed: number;
    alreadyCompleted: number;
    handedBack: number;
    cancelled: number;
  };
  broker: BrokerHealth;
  storage: StorageHealth;
}

export interface InferenceWorker {
  readonly modelDir: string;
  health(): Promise<InferenceWorkerHealth>;
  /** Its Prometheus series (the health server serves them at /metrics). */
  readonly metrics: Registry;
  /**
   * Graceful stop: no new jobs; the jobs in hand may finish within `shutdownGraceMs`, else they are
   * handed back to the queue and cancelled; spooled reports get one more delivery try. Does not
   * close the broker or storage (the caller owns them).
   */
  stop(): Promise<void>;
}

/**
 * Starts consuming `jobs.generation` (`prefetch` jobs at once, batched on the GPU) on the given broker: the standalone process
 * (main.ts) and the API's embedded mode both start the worker through here.
 */
export async function startInferenceWorker(options: StartInferenceWorkerOptions): Promise<InferenceWorker> {
  const { broker, storage, config, log } = options;
  const modelDir = await resolveModelDir(config, log);
  const diffusionLog: DiffusionLogger = {
    info: (message, fields) => log.info({ ...fields }, message),
    warn: (message, fields) => log.warn({ ...fields }, message),
  };
  const diffusion = await DiffusionWorker.start({
    provider: config.provider,
    cacheBudgetBytes: config.sessionCacheBytes,
    lora: { maxRank: config.loraMaxRank, budgetBytes: config.loraMemoryBytes },
    batch: { maxItems: config.prefetch, windowMs: config.batchWindowMs },
    logger: diffusionLog,
    ...(options.diffusionEntry ? { entry: options.diffusionEntry } : {}),
  });
  try {
    // Loads the base model now: a wrong MODEL_DIR or a missing CUDA provider fails the start, not every job.
    await diffusion.preload(modelDir);
  } catch (error) {
    await diffusion.close();
    throw error;
  }
  const reporter = createGenerationReporter({
    apiUrl: config.apiUrl,
    secret: config.webhookSecret,
    spoolDir: config.spoolDir,
    log,
  });
  const loras = new LoraCache(config.loraCacheDir, config.loraCacheBytes, storage, log);
  const handle = createGenerationHandler({
    storage,
    diffusion,
    reporter,
    loras,
    signatures: new SignatureCache(storage),
    modelDir,
    config,
    provenance: provenanceSigner(config.provenanceKey ?? developmentProvenanceKey(config.dataDir).privateKey),
    log,
  });

  const jobs = { completed: 0, failed: 0, alreadyCompleted: 0, handedBack: 0, cancelled: 0 };
  const metrics = createInferenceMetrics({
    engine: () => diffusion.cacheCounts,
    loraFiles: () => ({ ...loras.counts }),
  });
  let stopping = false;

  const intake = await takeJobs(
    broker,
    JOB_QUEUES.generation,
    async (delivery, signal) => {
      const finished = metrics.jobStarted();
      try {
        const outcome = await handle(delivery.body, signal);
        finished(outcome.status === 'failed' ? { status: 'failed', code: outcome.code } : outcome);
        if (outcome.status === 'completed') metrics.completed(outcome);
        if (outcome.status === 'completed') jobs.completed += 1;
        else if (outcome.status === 'failed') jobs.failed += 1;
        else if (outcome.status === 'cancelled') jobs.cancelled += 1;
        else jobs.alreadyCompleted += 1;
      } catch (error) {
        // The broker has the job back already; throwing would make it schedule a second copy.
        if (error instanceof HandedBack) {
          finished({ status: 'handed-back' });
          jobs.handedBack += 1;
          log.warn({ messageId: delivery.messageId }, error.message);
          return;
        }
        finished({ status: 'rejected' });
        throw error;
      }
    },
    { prefetch: config.prefetch },
  );
  log.info(
    { workerId: config.workerId, modelDir, provider: describeProvider(config.provider) },
    'inference worker consuming jobs.generation',
  );

  return {
    modelDir,
    metrics: metrics.registry,
    async health() {
      const [brokerHealth, storageHealth] = await Promise.all([broker.checkHealth(), storage.checkHealth()]);
      return {
        ok: !stopping && brokerHealth.ok && storageHealth.ok,
        stopping,
        busy: intake.inHand > 0,
        provider: describeProvider(config.provider),
        modelDir,
        jobs: { ...jobs },
        broker: brokerHealth,
        storage: storageHealth,
      };
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      log.info({ inHand: intake.inHand, graceMs: config.shutdownGraceMs }, 'inference worker stopping');
      // Waits up to the grace period for the job in hand; after it the broker takes the job back.
      await intake.stop(config.shutdownGraceMs, new Error('worker shutting down'));
      await flushAndCloseReporter(reporter, log, config.spoolDir);
      await diffusion.close();
      log.info({ ...jobs }, 'inference worker stopped');
    },
  };
}
