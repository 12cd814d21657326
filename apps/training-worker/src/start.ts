import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { JobFailure } from '@stylelicense/contracts';
import { ensureTinyModel } from '@stylelicense/diffusion';
import { ATTEMPT_HEADER, JOB_QUEUES, type Broker, type BrokerHealth } from '@stylelicense/queue';
import type { ObjectStorage, StorageHealth } from '@stylelicense/storage';
import {
  createWorkerJobMetrics,
  flushAndCloseReporter,
  takeJobsOneAtATime,
} from '@stylelicense/worker-runtime';
import type { Registry } from 'prom-client';
import type { TrainingWorkerConfig, WorkerLog } from './config';
import { createKohyaEngine } from './engine/kohya';
import { createNoTrainerEngine } from './engine/none';
import { createOnnxEngine } from './engine/onnx';
import type { TrainerEngine } from './engine/types';
import { createTrainingReporter } from './reporter';
import { createTrainingHandler } from './worker';

export interface StartTrainingWorkerOptions {
  broker: Broker;
  storage: ObjectStorage;
  config: TrainingWorkerConfig;
  log: WorkerLog;
  /** Replaces the engine `config.trainer` describes (tests run the process test engine here). */
  engine?: TrainerEngine;
}

export interface TrainingWorkerHealth {
  ok: boolean;
  stopping: boolean;
  engine: string;
  /** The job in hand, if any. */
  job: { messageId: string; since: string } | null;
  jobs: { completed: number; failed: number; skipped: number; rerouted: number; handedBack: number };
  broker: BrokerHealth;
  storage: StorageHealth;
}

export interface TrainingWorker {
  readonly engine: string;
  health(): Promise<TrainingWorkerHealth>;
  /** Its Prometheus series (the health server serves them at /metrics). */
  readonly metrics: Registry;
  /**
   * Graceful stop: no new jobs; the job in hand may finish within `shutdownGraceMs`, else its
   * trainer is stopped (process group killed) and the job handed back to the queue with the same
   * attempt; spooled reports get one more delivery try. Leaves the broker and storage open (the
   * caller owns them).
   */
  stop(): Promise<void>;
}

export function engineFor(config: TrainingWorkerConfig): TrainerEngine {
  const { trainer } = config;
  if (trainer.engine === 'none') return createNoTrainerEngine();
  if (trainer.engine === 'onnx') {
    const { modelDir, dataDir } = trainer;
    let resolved: Promise<string> | undefined;
    return createOnnxEngine({
      // Built (tiny) or checked on the first job, so a worker starts without touching the model.
      modelDir: () => (resolved ??= Promise.resolve(modelDir ?? ensureTinyModel(dataDir).dir)),
      resolution: trainer.resolution,
      maxSteps: trainer.maxSteps,
      sampleSteps: trainer.sampleSteps,
      provider: trainer.provider,
      timeLimitMs: config.jobTimeLimitMs,
    });
  }
  return createKohyaEngine({
    pythonExecutable: trainer.pythonExecutable,
    sdScriptsDir: trainer.sdScriptsDir,
    baseModelPath: trainer.baseModelPath,
    environment: trainer.environment,
    cudaVisibleDevices: trainer.cudaVisibleDevices,
    timeLimitMs: config.jobTimeLimitMs,
  });
}

/** Both drivers expose the topology they declared; the worker's last-attempt rule must agree with it. */
function brokerMaxAttempts(broker: Broker, fallback: number): number {
  const declared = broker as {
    topology?: { maxAttempts?: unknown };
    hub?: { topology?: { maxAttempts?: unknown } };
  };
  const value = declared.topology?.maxAttempts ?? declared.hub?.topology?.maxAttempts;
  return typeof value === 'number' && Number.isInteger(value) && value >= 1 ? value : fallback;
}

/**
 * Starts consuming `jobs.training` (prefetch 1: one style at a time per GPU worker) on the given
 * broker. The standalone process (main.ts) and the API's embedded mode both start it here.
 */
export async function startTrainingWorker(options: StartTrainingWorkerOptions): Promise<TrainingWorker> {
  const { broker, storage, config, log } = options;
  const engine = options.engine ?? engineFor(config);
  await mkdir(config.workDir, { recursive: true });
  // Scratch left by a previous run of this worker that died mid-job (one WORK_DIR per worker).
  for (const entry of await readdir(config.workDir)) {
    if (entry.startsWith('job-')) await rm(join(config.workDir, entry), { recursive: true, force: true });
  }
  const reporter = createTrainingReporter({
    apiUrl: config.apiUrl,
    secret: config.webhookSecret,
    spoolDir: config.spoolDir,
    log,
  });
  const maxAttempts = brokerMaxAttempts(broker, config.maxAttempts);
  const handle = createTrainingHandler({
    storage,
    engine,
    reporter,
    config,
    maxAttempts,
    log,
    handBack: (delivery) =>
      broker.publish(JOB_QUEUES.training, delivery.body, {
        messageId: delivery.messageId,
        headers: { [ATTEMPT_HEADER]: delivery.attempt },
      }),
  });

  const jobs = { completed: 0, failed: 0, skipped: 0, rerouted: 0, handedBack: 0 };
  const metrics = createWorkerJobMetrics('training');
  let current: TrainingWorkerHealth['job'] = null;
  let stopping = false;

  const intake = await takeJobsOneAtATime(broker, JOB_QUEUES.training, async (delivery, signal) => {
    current = { messageId: delivery.messageId, since: new Date().toISOString() };
    const finished = metrics.jobStarted();
    try {
      const outcome = await handle(delivery, signal);
      finished(outcome);
      if (outcome.status === 'completed') jobs.completed += 1;
      else if (outcome.status === 'failed') jobs.failed += 1;
      else if (outcome.status === 'skipped') jobs.skipped += 1;
      else jobs.handedBack += 1;
    } catch (error) {
      finished({ status: 'rerouted' });
      jobs.rerouted += 1;
      throw error;
    } finally {
      current = null;
    }
  });
  log.info(
    { workerId: config.workerId, engine: engine.name, maxAttempts },
    'training worker consuming jobs.training',
  );

  return {
    engine: engine.name,
    metrics: metrics.registry,
    async health() {
      const [brokerHealth, storageHealth] = await Promise.all([broker.checkHealth(), storage.checkHealth()]);
      return {
        ok: !stopping && brokerHealth.ok && storageHealth.ok,
        stopping,
        engine: engine.name,
        job: current,
        jobs: { ...jobs },
        broker: brokerHealth,
        storage: storageHealth,
      };
    },
    async stop() {
      if (stopping) return;
      stopping = true;
      log.info({ inHand: intake.inHand, graceMs: config.shutdownGraceMs }, 'training worker stopping');
      // Waits up to the grace period for the job in hand; an unclaimed job is then back with the broker.
      // A claimed job still running: the abort kills the trainer, and the handler hands the job back.
      await intake.stop(
        config.shutdownGraceMs,
        new JobFailure('WORKER_SHUTDOWN', 'the worker is shutting down'),
      );
      await flushAndCloseReporter(reporter, log, config.spoolDir);
      log.info({ ...jobs }, 'training worker stopped');
    },
  };
}
