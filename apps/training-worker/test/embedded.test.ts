import { join } from 'node:path';
import { createInProcessBroker, JOB_QUEUES } from '@stylelicense/queue';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedWorker } from '../src/index';
import {
  memoryLog,
  putArtworks,
  SECRET,
  TEN_GOOD,
  testStorage,
  trainingJob,
  uniqueId,
  TEST_TOPOLOGY,
} from './support/harness';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';

let tempDir: TempDir;
let root: string;
let receiver: WebhookReceiver;

beforeAll(async () => {
  tempDir = await makeTempDir('training-embedded');
  root = tempDir.path;
  receiver = await startWebhookReceiver(SECRET);
});

afterAll(async () => {
  await receiver.close();
  await tempDir.remove();
});

describe('embedded default (in-process broker, no trainer engine)', () => {
  it('fails a new style at once with NO_TRAINER_ENGINE "no trainer engine configured on this host", not retried', async () => {
    const broker = createInProcessBroker({ prefix: `embedded-${uniqueId('t')}.`, ...TEST_TOPOLOGY });
    const storage = testStorage(root);
    await storage.ensureBucket();
    const log = memoryLog();
    const worker = await startEmbeddedWorker({
      broker,
      apiUrl: receiver.url,
      webhookSecrets: { training: SECRET },
      storage,
      dataDir: join(root, 'data'),
      log,
    });
    try {
      expect(worker.name).toBe('training');
      const styleId = uniqueId('style');
      const job = trainingJob(styleId, await putArtworks(storage, styleId, TEN_GOOD));
      const published = Date.now();
      await broker.publish(JOB_QUEUES.training, job, { messageId: job.jobId });
      const failed = () => receiver.forStyle(styleId).filter((r) => r.route === 'trainingFailed');
      await expect.poll(() => failed().length, { timeout: 20_000, interval: 20 }).toBe(1);
      expect(Date.now() - published).toBeLessThan(15_000); // no download, no trainer: a clear failure, never a hang
      expect(failed()[0]!.body).toMatchObject({
        failure: {
          code: 'NO_TRAINER_ENGINE',
          message: 'no trainer engine configured on this host',
          retryable: false,
          attempt: 1,
        },
        logKey: null,
        rejectedArtworks: [],
      });
      // Failed for good (the handler's last word), never handed to the queue for another try.
      const messages = () => log.lines.map((line) => line.message);
      await expect.poll(messages).toContain('training failed');
      expect(messages()).not.toContain('training failed; the queue retries it');
      expect(receiver.forStyle(styleId).map((r) => r.route)).toEqual([
        'trainingStarted',
        'trainingProgress',
        'trainingFailed',
      ]);
    } finally {
      await worker.stop();
      await broker.close({ graceMs: 0 });
    }
  });
});
