// The embedded default: the API imports this package and calls startEmbeddedWorker(context) with
// its in-process broker and storage; with no MODEL_DIR the worker builds the tiny model itself.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { createInProcessBroker, JOB_QUEUES } from '@stylelicense/queue';
import { storageKeys } from '@stylelicense/storage';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TINY_MODEL_STEPS } from '../src/env';
import { startEmbeddedWorker, type EmbeddedWorkerContext } from '../src/index';
import {
  buildTinyModel,
  filesystemStorage,
  generationJob,
  isRoute,
  seedStyle,
  silentLog,
  startWebhookReceiver,
  type WebhookReceiver,
} from './harness';

let dir: TempDir;
let receiver: WebhookReceiver;

beforeAll(async () => {
  dir = await makeTempDir('inference-embedded');
  receiver = await startWebhookReceiver();
});

afterAll(async () => {
  await receiver?.close();
  await dir?.remove();
});

describe('startEmbeddedWorker', () => {
  it("takes the API's pino logger as it is", () => {
    // Compile-time: the API passes its pino Logger as `log`.
    const log: EmbeddedWorkerContext['log'] = pino({ level: 'silent' });
    expect(typeof log.child).toBe('function');
  });

  it('builds the tiny model under DATA_DIR, consumes the shared in-process queue and reports to the API URL', async () => {
    delete process.env.MODEL_DIR;
    delete process.env.STEPS;
    const dataDir = join(dir.path, 'data');
    const storage = filesystemStorage(join(dataDir, 'storage'));
    await storage.ensureBucket();
    // A LoRA for the tiny preset (weight names and shapes do not depend on the seed).
    const style = await seedStyle(storage, buildTinyModel(dir.path));
    const broker = createInProcessBroker({ prefix: 'embedded-' });
    const children: Record<string, unknown>[] = [];
    const log = {
      ...silentLog,
      child: (bindings: Record<string, unknown>) => (children.push(bindings), silentLog),
    };

    const worker = await startEmbeddedWorker({
      broker,
      apiUrl: receiver.url,
      webhookSecrets: { inference: receiver.secret },
      storage,
      dataDir,
      log,
    });
    try {
      expect(worker.name).toBe('inference');
      expect(children).toEqual([{ worker: 'inference' }]);
      expect(existsSync(join(dataDir, 'models', 'tiny', 'model_index.json'))).toBe(true);

      const job = generationJob(style, { steps: 30, guidance: 7.5 });
      await broker.publish(JOB_QUEUES.generation, job);
      const completed = await receiver.waitFor(isRoute('generationComplete', job.generationId));
      // The tiny smoke model runs a few steps whatever the API asks; the report says what ran.
      expect(completed.payload.metadata).toEqual({
        seed: 1234,
        steps: TINY_MODEL_STEPS,
        guidance: 7.5,
        width: 512,
        height: 512,
      });
      expect(await storage.head(storageKeys.result(job.generationId, 'png'))).not.toBeNull();
    } finally {
      await worker.stop();
      await broker.close();
    }
  }, 90_000);
});
