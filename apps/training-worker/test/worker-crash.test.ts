import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JOB_QUEUES, type RabbitBroker } from '@stylelicense/queue';
import type { ObjectStorage } from '@stylelicense/storage';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTrainingWorker, styleFileKeys, type TrainingWorker } from '../src/index';
import { createProcessTestEngine } from './fixtures/process-engine';
import {
  memoryLog,
  putArtworks,
  rabbitFixture,
  SECRET,
  TEN_GOOD,
  testConfig,
  testStorage,
  trainingJob,
  uniqueId,
} from './support/harness';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';

const workerProcess = fileURLToPath(new URL('./fixtures/worker-process.ts', import.meta.url));

let tempDir: TempDir;
let root: string;
let storage: ObjectStorage;
let receiver: WebhookReceiver;
let fixture: ReturnType<typeof rabbitFixture>;
let api: RabbitBroker;

beforeAll(async () => {
  tempDir = await makeTempDir('training-crash');
  root = tempDir.path;
  storage = testStorage(root);
  await storage.ensureBucket();
  receiver = await startWebhookReceiver(SECRET);
  fixture = rabbitFixture();
  api = await fixture.connect();
});

afterAll(async () => {
  await fixture.cleanup();
  await receiver.close();
  await tempDir.remove();
});

describe('worker crashes', () => {
  it('redelivers the job of a worker killed before it claimed it; another worker completes it once', async () => {
    const styleId = uniqueId('style');
    const job = trainingJob(styleId, await putArtworks(storage, styleId, TEN_GOOD));
    const childConfig = testConfig(root, receiver.url);
    // The dying worker's `started` is never answered: it is killed while waiting, before claim().
    let startedSeen!: () => void;
    const startedArrived = new Promise<void>((resolve) => (startedSeen = resolve));
    receiver.setHold((route, body) => {
      if (route !== 'trainingStarted' || body.workerId !== childConfig.workerId) return undefined;
      startedSeen();
      return new Promise<void>(() => undefined);
    });

    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        workerProcess,
        JSON.stringify({ prefix: fixture.prefix, storageRoot: join(root, 'objects'), config: childConfig }),
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    let survivor: TrainingWorker | undefined;
    try {
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('ready') && resolve());
        child.once('exit', (code) => reject(new Error(`worker process exited early (${code})`)));
      });
      await api.publish(JOB_QUEUES.training, job, { messageId: job.jobId });
      await startedArrived;
      child.kill('SIGKILL');

      const survivorLog = memoryLog();
      survivor = await startTrainingWorker({
        broker: await fixture.connect(),
        storage,
        config: testConfig(root, receiver.url),
        log: survivorLog,
        engine: createProcessTestEngine({ mode: 'success' }),
      });
      await expect
        .poll(() => receiver.forStyle(styleId).filter((r) => r.route === 'trainingComplete').length, {
          timeout: 20_000,
        })
        .toBe(1);
      // The survivor counted the job completed and is idle: no other copy is on its way.
      await expect
        .poll(async () => {
          const health = await survivor!.health();
          return { job: health.job, completed: health.jobs.completed, rerouted: health.jobs.rerouted };
        })
        .toEqual({ job: null, completed: 1, rerouted: 0 });
      const routes = receiver.forStyle(styleId).map((r) => r.route);
      expect(routes.filter((r) => r === 'trainingComplete')).toHaveLength(1);
      expect(routes).not.toContain('trainingFailed');
      // Only the survivor's `started` was answered (and recorded); the dead worker never trained.
      expect(
        receiver
          .forStyle(styleId)
          .filter((r) => r.route === 'trainingStarted')
          .map((r) => r.body.workerId),
      ).not.toContain(childConfig.workerId);
      expect(await storage.head(styleFileKeys(styleId, job.jobId).adapter)).not.toBeNull();
      // The broker handed the very same message out a second time.
      expect(survivorLog.lines.find((l) => l.message === 'training job claimed')?.fields).toMatchObject({
        jobId: job.jobId,
        deliveryCount: 2,
      });
    } finally {
      child.kill('SIGKILL');
      receiver.setHold(undefined);
      await survivor?.stop();
    }
  });

  it('retries a trainer that ran out of GPU memory, then reports GPU_OOM once', async () => {
    const worker = await startTrainingWorker({
      broker: await fixture.connect(),
      storage,
      config: testConfig(root, receiver.url),
      log: memoryLog(),
      engine: createProcessTestEngine({ mode: 'oom' }),
    });
    try {
      const styleId = uniqueId('style');
      const job = trainingJob(styleId, await putArtworks(storage, styleId, TEN_GOOD));
      await api.publish(JOB_QUEUES.training, job, { messageId: job.jobId });
      const finals = () =>
        receiver
          .forStyle(styleId)
          .filter((r) => r.route === 'trainingFailed' || r.route === 'trainingComplete');
      await expect.poll(() => finals().length, { timeout: 20_000 }).toBe(1);
      // Counted failed (not thrown back for another try) and idle: the report was the last one.
      await expect
        .poll(async () => {
          const health = await worker.health();
          return { job: health.job, failed: health.jobs.failed };
        })
        .toEqual({ job: null, failed: 1 });
      expect(finals()).toHaveLength(1);
      expect(finals()[0]!.body.failure).toMatchObject({
        code: 'GPU_OOM',
        message: expect.stringMatching(/out of GPU memory.*after 3 tries/s),
      });
      expect(receiver.forStyle(styleId).filter((r) => r.route === 'trainingStarted')).toHaveLength(3);
    } finally {
      await worker.stop();
    }
  });
});
