import { generateWebhookSecret } from '@stylelicense/contracts';
import {
  JOB_QUEUES,
  parkingQueueOf,
  PARKED_REASON_HEADER,
  type JobDelivery,
  type RabbitBroker,
} from '@stylelicense/queue';
import type { ObjectStorage } from '@stylelicense/storage';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTrainingWorker, type TrainingWorker } from '../src/index';
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

let tempDir: TempDir;
let root: string;
let storage: ObjectStorage;
let receiver: WebhookReceiver;
let fixture: ReturnType<typeof rabbitFixture>;
let api: RabbitBroker;
const parked: JobDelivery[] = [];

beforeAll(async () => {
  tempDir = await makeTempDir('training-parked');
  root = tempDir.path;
  storage = testStorage(root);
  await storage.ensureBucket();
  receiver = await startWebhookReceiver(SECRET);
  fixture = rabbitFixture();
  api = await fixture.connect();
  await api.consume(parkingQueueOf(JOB_QUEUES.training), async (delivery) => void parked.push(delivery));
});

afterAll(async () => {
  await fixture.cleanup();
  await receiver.close();
  await tempDir.remove();
});

async function withWorker(
  overrides: Parameters<typeof testConfig>[2],
  run: (worker: TrainingWorker) => Promise<void>,
) {
  const worker = await startTrainingWorker({
    broker: await fixture.connect(),
    storage,
    config: testConfig(root, receiver.url, overrides),
    log: memoryLog(),
    engine: createProcessTestEngine({ mode: 'success' }),
  });
  try {
    await run(worker);
  } finally {
    await worker.stop();
  }
}

describe('jobs that go to the parking queue', () => {
  it('reports an unreadable job that names its style as failed, then parks it', async () => {
    await withWorker({}, async () => {
      const styleId = uniqueId('style');
      const jobId = uniqueId('job');
      await api.publish(
        JOB_QUEUES.training,
        { v: 1, styleId, jobId, attempt: 1, artworks: [] },
        { messageId: jobId },
      );
      await expect
        .poll(() => parked.filter((d) => d.messageId === jobId).length, { timeout: 10_000 })
        .toBe(1);
      expect(parked.find((d) => d.messageId === jobId)!.headers[PARKED_REASON_HEADER]).toBe(
        'permanent-error',
      );
      expect(receiver.forStyle(styleId).map((r) => r.route)).toEqual(['trainingFailed']);
      expect(receiver.forStyle(styleId)[0]!.body.failure).toMatchObject({
        code: 'INTERNAL',
        message: expect.stringMatching(/^the training job could not be read/),
      });
    });
  });

  it('parks the job, untrained, when the API refuses the worker (wrong webhook secret)', async () => {
    await withWorker({ webhookSecret: generateWebhookSecret() }, async (worker) => {
      const styleId = uniqueId('style');
      const job = trainingJob(styleId, await putArtworks(storage, styleId, TEN_GOOD));
      await api.publish(JOB_QUEUES.training, job, { messageId: job.jobId });
      await expect
        .poll(() => parked.filter((d) => d.messageId === job.jobId).length, { timeout: 10_000 })
        .toBe(1);
      expect(
        receiver.refused.some((r) => r.status === 401 && r.path === '/api/webhooks/training/started'),
      ).toBe(true);
      expect(receiver.forStyle(styleId)).toEqual([]);
      expect((await worker.health()).jobs).toMatchObject({ completed: 0, failed: 0, rerouted: 1 });
    });
  });
});
