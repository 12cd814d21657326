// Graceful shutdown with a job in hand, and the health endpoint compose checks.
import { join } from 'node:path';
import { createInProcessBroker, JOB_QUEUES, type Broker } from '@stylelicense/queue';
import { storageKeys, type ObjectStorage } from '@stylelicense/storage';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startHealthServer } from '../src/health';
import { startInferenceWorker, type InferenceWorker } from '../src/start';
import {
  buildTinyModel,
  filesystemStorage,
  generationJob,
  isRoute,
  seedStyle,
  silentLog,
  startWebhookReceiver,
  workerConfig,
  type StyleFixture,
  type WebhookReceiver,
} from './harness';

let dir: TempDir;
let modelDir: string;
let storage: ObjectStorage;
let receiver: WebhookReceiver;
let style: StyleFixture;
let broker: Broker | undefined;

beforeAll(async () => {
  dir = await makeTempDir('inference-shutdown');
  modelDir = buildTinyModel(dir.path);
  storage = filesystemStorage(join(dir.path, 'storage'));
  await storage.ensureBucket();
  style = await seedStyle(storage, modelDir);
  receiver = await startWebhookReceiver();
});

afterEach(async () => {
  await broker?.close({ graceMs: 100 });
  broker = undefined;
});

afterAll(async () => {
  await receiver?.close();
  await dir?.remove();
});

async function start(shutdownGraceMs: number): Promise<InferenceWorker> {
  broker = createInProcessBroker({ prefix: `shutdown-${shutdownGraceMs}-` });
  return startInferenceWorker({
    broker,
    storage,
    config: workerConfig(dir.path, receiver, modelDir, { shutdownGraceMs }),
    log: silentLog,
  });
}

describe('graceful shutdown', () => {
  it('finishes the job in hand within the grace period and reports it before stopping', async () => {
    const worker = await start(60_000);
    const health = await startHealthServer(worker, 0, '127.0.0.1');
    try {
      const idle = await fetch(`${health.url}/health`);
      expect(idle.status).toBe(200);
      expect(await idle.json()).toMatchObject({
        ok: true,
        busy: false,
        provider: 'cpu',
        broker: { ok: true },
        storage: { ok: true },
      });

      const job = generationJob(style);
      await broker!.publish(JOB_QUEUES.generation, job);
      await receiver.waitFor(isRoute('generationProgress', job.generationId));
      const busy = (await (await fetch(`${health.url}/health`)).json()) as { busy: boolean };
      expect(busy.busy).toBe(true);

      await worker.stop();
      // Stop returned only after the completion went out.
      expect(receiver.forGeneration(job.generationId).at(-1)?.route).toBe('generationComplete');
      expect(await storage.head(storageKeys.result(job.generationId, 'png'))).not.toBeNull();

      const stopped = await fetch(`${health.url}/health`);
      expect(stopped.status).toBe(503);
      expect(await stopped.json()).toMatchObject({ ok: false, stopping: true, jobs: { completed: 1 } });
    } finally {
      await worker.stop();
      health.close();
    }
  });

  it('hands a job that outlasts the grace period back to the queue, cancelled, unreported', async () => {
    const worker = await start(300);
    const job = generationJob(style, { steps: 40 });
    await broker!.publish(JOB_QUEUES.generation, job);
    await receiver.waitFor(isRoute('generationProgress', job.generationId));

    const stopping = Date.now();
    await worker.stop();
    // The pipeline is cancelled at its next step instead of running 40 of them.
    expect(Date.now() - stopping).toBeLessThan(10_000);
    expect(receiver.forGeneration(job.generationId).map((hook) => hook.route)).not.toContain(
      'generationFailed',
    );
    expect(receiver.forGeneration(job.generationId).map((hook) => hook.route)).not.toContain(
      'generationComplete',
    );
    expect(await storage.head(storageKeys.result(job.generationId, 'png'))).toBeNull();
    expect((await worker.health()).jobs).toMatchObject({ handedBack: 1, failed: 0, completed: 0 });

    // Another consumer gets the same job.
    const redelivered = await new Promise<unknown>((resolve) => {
      void broker!.consume(JOB_QUEUES.generation, async (delivery) => resolve(delivery.body));
    });
    expect(redelivered).toMatchObject({ generationId: job.generationId, attempt: 1 });
  });
});
