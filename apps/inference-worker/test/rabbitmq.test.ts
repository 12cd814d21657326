// The same flow on the real RabbitMQ (loopback), under a queue prefix of its own, at 1:2.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import {
  ATTEMPT_HEADER,
  createRabbitBroker,
  JOB_QUEUES,
  parkingQueueOf,
  retryQueueOf,
  type RabbitBroker,
} from '@stylelicense/queue';
import amqplib from 'amqplib';
import { storageKeys } from '@stylelicense/storage';
import { makeTempDir, testServices, type TempDir } from '@stylelicense/test-kit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
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
  type WebhookReceiver,
} from './harness';

const AMQP_URL = testServices.rabbitmq.url;

let dir: TempDir;
let broker: RabbitBroker;
let receiver: WebhookReceiver;
let worker: InferenceWorker | undefined;
let prefix: string;

beforeAll(async () => {
  dir = await makeTempDir('inference-rabbitmq');
  receiver = await startWebhookReceiver();
  prefix = `inference-test-${randomBytes(4).toString('hex')}.`;
  broker = await createRabbitBroker({ url: AMQP_URL, prefix, connectionName: 'inference-worker-test' });
});

afterAll(async () => {
  await worker?.stop();
  await broker?.deleteTopology().catch(() => undefined);
  await broker?.close({ graceMs: 1_000 });
  await receiver?.close();
  await dir?.remove();
});

describe('on RabbitMQ', () => {
  it('consumes jobs.generation and delivers a signed 512×1024 result', async () => {
    const modelDir = buildTinyModel(dir.path);
    const storage = filesystemStorage(join(dir.path, 'storage'));
    await storage.ensureBucket();
    const style = await seedStyle(storage, modelDir);
    worker = await startInferenceWorker({
      broker,
      storage,
      config: workerConfig(dir.path, receiver, modelDir),
      log: silentLog,
    });

    const job = generationJob(style, { aspectRatio: '1:2', width: 512, height: 1024, seed: 77, attempt: 3 });
    await broker.publish(JOB_QUEUES.generation, job, { headers: { [ATTEMPT_HEADER]: 3 } });
    const completed = await receiver.waitFor(isRoute('generationComplete', job.generationId), 90_000);
    const resultKey = storageKeys.result(job.generationId, 'png');
    expect(completed.payload).toMatchObject({
      attempt: 3,
      resultKey,
      metadata: { seed: 77, steps: 2, guidance: 1, width: 512, height: 1024 },
    });
    const meta = await sharp(await storage.get(resultKey)).metadata();
    expect([meta.width, meta.height]).toEqual([512, 1024]);
    expect(
      receiver.forGeneration(job.generationId).filter((hook) => hook.route === 'generationProgress').length,
    ).toBeGreaterThanOrEqual(2);
  }, 120_000);

  it('on shutdown hands an unfinished job back to the queue once, with no retry copy', async () => {
    await worker?.stop();
    const modelDir = join(dir.path, 'model');
    const storage = filesystemStorage(join(dir.path, 'storage'));
    const style = await seedStyle(storage, modelDir);
    worker = await startInferenceWorker({
      broker,
      storage,
      config: workerConfig(dir.path, receiver, modelDir, { shutdownGraceMs: 300 }),
      log: silentLog,
    });
    const job = generationJob(style, { steps: 40 });
    await broker.publish(JOB_QUEUES.generation, job);
    await receiver.waitFor(isRoute('generationProgress', job.generationId));
    await worker.stop();
    worker = undefined;

    const connection = await amqplib.connect(AMQP_URL);
    try {
      const channel = await connection.createChannel();
      const count = async (queue: string) => (await channel.checkQueue(prefix + queue)).messageCount;
      expect(await count(JOB_QUEUES.generation)).toBe(1);
      expect(await count(retryQueueOf(JOB_QUEUES.generation, 30_000))).toBe(0);
      expect(await count(parkingQueueOf(JOB_QUEUES.generation))).toBe(0);
      const message = await channel.get(prefix + JOB_QUEUES.generation, { noAck: true });
      expect(message && JSON.parse(message.content.toString('utf8'))).toMatchObject({
        generationId: job.generationId,
      });
    } finally {
      await connection.close();
    }
    expect(receiver.forGeneration(job.generationId).map((hook) => hook.route)).not.toContain(
      'generationFailed',
    );
  }, 60_000);
});
