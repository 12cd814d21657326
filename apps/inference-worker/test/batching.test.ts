// Several jobs of different styles in hand at once (JOB_PREFETCH) share UNet calls; each is still
// reported on its own, and a bad style fails only its job.
import { join } from 'node:path';
import { createInProcessBroker, JOB_QUEUES, type Broker } from '@stylelicense/queue';
import { storageKeys, type ObjectStorage } from '@stylelicense/storage';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { WorkerLog } from '../src/config';
import { startInferenceWorker, type InferenceWorker } from '../src/start';
import {
  buildTinyModel,
  filesystemStorage,
  generationJob,
  isRoute,
  seedStyle,
  startWebhookReceiver,
  workerConfig,
  type StyleFixture,
  type WebhookReceiver,
} from './harness';

let dir: TempDir;
let storage: ObjectStorage;
let broker: Broker;
let receiver: WebhookReceiver;
let worker: InferenceWorker;
const styles: StyleFixture[] = [];
const batches: number[] = [];
const log: WorkerLog = {
  info: (fields: Record<string, unknown>, message?: string) => {
    if (message === 'ran a batch') batches.push(fields.images as number);
  },
  warn: () => {},
  error: () => {},
};

beforeAll(async () => {
  dir = await makeTempDir('inference-batching');
  const modelDir = buildTinyModel(dir.path);
  storage = filesystemStorage(join(dir.path, 'storage'));
  await storage.ensureBucket();
  for (let i = 0; i < 4; i++) styles.push(await seedStyle(storage, modelDir, 10 + i));
  receiver = await startWebhookReceiver();
  broker = createInProcessBroker({ prefix: 'batching-' });
  // A window long enough that four jobs published together always meet, even on a busy machine.
  const config = workerConfig(dir.path, receiver, modelDir, { prefetch: 4, batchWindowMs: 500 });
  worker = await startInferenceWorker({ broker, storage, config, log });
});

afterAll(async () => {
  await worker?.stop();
  await broker?.close();
  await receiver?.close();
  await dir?.remove();
});

describe('jobs of different styles taken together', () => {
  it('run in shared UNet calls and each completes with its own signed result', async () => {
    const jobs = styles.map((style, i) => generationJob(style, { seed: 100 + i }));
    await Promise.all(jobs.map((job) => broker.publish(JOB_QUEUES.generation, job)));
    for (const job of jobs) {
      const done = await receiver.waitFor(isRoute('generationComplete', job.generationId));
      expect(done.payload).toMatchObject({ resultKey: storageKeys.result(job.generationId, 'png') });
      expect(await storage.head(storageKeys.result(job.generationId, 'png'))).toBeTruthy();
    }
    expect(Math.max(...batches)).toBeGreaterThan(1);
  }, 180_000);

  it('fails a job whose LoRA is broken, alone', async () => {
    const broken = styles[0]!;
    const badKey = storageKeys.model(`${broken.styleId}-bad`, 'lora.safetensors');
    await storage.put(badKey, Buffer.from('not a safetensors file'), {
      contentType: 'application/octet-stream',
    });
    const bad = generationJob(broken, { loraModelKey: badKey });
    const good = generationJob(styles[1]!, {});
    await Promise.all([bad, good].map((job) => broker.publish(JOB_QUEUES.generation, job)));
    const failed = await receiver.waitFor(isRoute('generationFailed', bad.generationId));
    expect(failed.payload).toMatchObject({ failure: { code: 'LORA_INVALID', retryable: false } });
    await receiver.waitFor(isRoute('generationComplete', good.generationId));
  }, 120_000);
});
