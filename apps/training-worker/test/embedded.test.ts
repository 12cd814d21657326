import { join } from 'node:path';
import { createInProcessBroker, JOB_QUEUES } from '@stylelicense/queue';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { parseSafetensors } from '@stylelicense/safetensors';
import sharp from 'sharp';
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

describe('embedded default (in-process broker, onnx engine on the tiny model)', () => {
  it('trains a new style with live progress and completes with a valid kohya LoRA', async () => {
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
      // A short run (job option maxSteps, honoured by the onnx engine) keeps this file quick.
      const job = trainingJob(styleId, await putArtworks(storage, styleId, TEN_GOOD), {
        options: { maxSteps: 40, rank: 2, seed: 9 },
      });
      await broker.publish(JOB_QUEUES.training, job, { messageId: job.jobId });
      const reports = () => receiver.forStyle(styleId);
      await expect
        .poll(
          () => reports().filter((r) => ['trainingComplete', 'trainingFailed'].includes(r.route)).length,
          {
            timeout: 240_000,
            interval: 200,
          },
        )
        .toBe(1);
      const complete = reports().find((r) => r.route === 'trainingComplete');
      expect(complete, JSON.stringify(reports().at(-1)?.body)).toBeDefined();
      expect(complete!.body).toMatchObject({ metrics: { steps: 40 }, rejectedArtworks: [] });
      const steps = reports()
        .filter((r) => r.route === 'trainingProgress')
        .map((r) => (r.body as unknown as { progress: { step: number; totalSteps: number } }).progress);
      expect(steps.some((p) => p.step > 0 && p.step < 40)).toBe(true); // live progress between the ends
      expect(steps.every((p, i) => i === 0 || p.step >= steps[i - 1]!.step)).toBe(true);
      // One picture per epoch (40 steps over 10 artworks: 4 epochs), stored where the reports say,
      // each a real PNG at the training size, drawn with the first caption and the job's seed.
      const samples = reports()
        .map(
          (r) =>
            (
              r.body as unknown as {
                sample?: { epoch: number; imageKey: string; prompt: string; seed: number };
              }
            ).sample,
        )
        .filter((sample) => sample !== undefined);
      expect(samples.map((sample) => sample.epoch)).toEqual([1, 2, 3, 4]);
      for (const sample of samples) {
        expect(sample).toMatchObject({ seed: 9, prompt: expect.stringMatching(/\S/) });
        const picture = await sharp(await storage.get(sample.imageKey)).metadata();
        expect(picture).toMatchObject({ format: 'png', width: 64, height: 64 });
      }
      expect(new Set(samples.map((sample) => sample.prompt)).size).toBe(1);
      const modelKey = (complete!.body as unknown as { modelKey: string }).modelKey;
      const adapter = parseSafetensors(await storage.get(modelKey));
      expect(adapter.metadata).toMatchObject({
        ss_network_dim: '2',
        ss_seed: '9',
        ss_mixed_precision: 'no', // the embedded tiny model is fp32
        stylelicense_trainer: 'onnx',
      });
      expect(
        [...adapter.tensors.keys()].some((k) => k.startsWith('lora_unet_') && k.endsWith('.lora_up.weight')),
      ).toBe(true);
    } finally {
      await worker.stop();
      await broker.close({ graceMs: 0 });
    }
  }, 300_000);
});
