// A generation job through the in-process broker: tiny model on the CPU, filesystem storage,
// webhooks over real HTTP to a loopback receiver that verifies their signatures.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DiffusionEngine, silentLogger } from '@stylelicense/diffusion';
import {
  developmentProvenanceKey,
  provenanceSigner,
  readStampMetadata,
  signatureBox,
  verifyProvenance,
} from '@stylelicense/imaging';
import { createInProcessBroker, JOB_QUEUES, type Broker } from '@stylelicense/queue';
import { storageKeys, type ObjectStorage } from '@stylelicense/storage';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PROGRESS_MILESTONES } from '../src/progress';
import { startInferenceWorker, type InferenceWorker } from '../src/start';
import {
  buildTinyModel,
  filesystemStorage,
  generationJob,
  isRoute,
  seedStyle,
  silentLog,
  startWebhookReceiver,
  tinyLora,
  workerConfig,
  type StyleFixture,
  type WebhookReceiver,
} from './harness';

let dir: TempDir;
let modelDir: string;
let storage: ObjectStorage;
let broker: Broker;
let receiver: WebhookReceiver;
let worker: InferenceWorker;
let style: StyleFixture;

beforeAll(async () => {
  dir = await makeTempDir('inference-flow');
  modelDir = buildTinyModel(dir.path);
  storage = filesystemStorage(join(dir.path, 'storage'));
  await storage.ensureBucket();
  style = await seedStyle(storage, modelDir);
  receiver = await startWebhookReceiver();
  broker = createInProcessBroker({ prefix: 'flow-' });
  worker = await startInferenceWorker({
    broker,
    storage,
    config: workerConfig(dir.path, receiver, modelDir),
    log: silentLog,
  });
});

afterAll(async () => {
  await worker?.stop();
  await broker?.close();
  await receiver?.close();
  await dir?.remove();
});

async function rawPixels(bytes: Uint8Array): Promise<Buffer> {
  return sharp(bytes).removeAlpha().raw().toBuffer();
}

describe('a generation job', () => {
  const job = () => firstJob;
  let firstJob: ReturnType<typeof generationJob>;

  it('flows from the queue to a signed file in storage and a completion webhook', async () => {
    firstJob = generationJob(style);
    await broker.publish(JOB_QUEUES.generation, firstJob);
    const completed = await receiver.waitFor(isRoute('generationComplete', firstJob.generationId));

    const resultKey = storageKeys.result(firstJob.generationId, 'png');
    expect(completed.payload).toEqual({
      v: 1,
      generationId: firstJob.generationId,
      attempt: 1,
      resultKey,
      metadata: { seed: 1234, steps: 2, guidance: 1, width: 512, height: 512 },
    });
    // Only the signed file is stored under results/.
    const results: string[] = [];
    for await (const object of storage.list('results/')) results.push(object.key);
    expect(results).toEqual([resultKey]);
    const info = await storage.head(resultKey);
    expect(info?.contentType).toBe('image/png');
    const stored = await storage.get(resultKey);
    const meta = await sharp(stored).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['png', 512, 512]);

    expect(await readStampMetadata(stored)).toMatchObject({
      artist: 'Hana Kim',
      artistId: style.artistId,
      style: 'Ink Wash',
      styleId: style.styleId,
      generationId: firstJob.generationId,
      license: 'commercial',
      seed: '1234',
    });
    // Signed with the worker's key (the development key under its data folder, as none is configured).
    const { publicKey } = provenanceSigner(developmentProvenanceKey(dir.path).privateKey);
    expect(await verifyProvenance(stored, [publicKey])).toMatchObject({
      status: 'verified',
      manifest: { generationId: firstJob.generationId, license: 'commercial', style: { name: 'Ink Wash' } },
    });
  });

  it('stores the signature pixels at the fixed corner over the same render, and nothing else changed', async () => {
    // The unsigned render, made here with the same model, LoRA, prompt, seed and settings.
    const loraPath = join(dir.path, 'lora-copy.safetensors');
    await writeFile(loraPath, await tinyLora(modelDir));
    const engine = new DiffusionEngine({ logger: silentLogger });
    const unsigned = await engine.generate({
      modelDir,
      prompt: 'ink wash, lighthouse, dusk',
      width: 512,
      height: 512,
      steps: 2,
      guidanceScale: 1,
      seed: 1234,
      lora: { path: loraPath, strength: 1 },
    });
    await engine.close();

    const stored = await rawPixels(await storage.get(storageKeys.result(job().generationId, 'png')));
    const box = signatureBox(512, 512, 200, 80);
    expect(box).toEqual({ left: 407, top: 462, width: 92, height: 37 });

    let changedInside = 0;
    for (let y = 0; y < 512; y++) {
      for (let x = 0; x < 512; x++) {
        const i = (y * 512 + x) * 3;
        const same =
          stored[i] === unsigned.pixels[i] &&
          stored[i + 1] === unsigned.pixels[i + 1] &&
          stored[i + 2] === unsigned.pixels[i + 2];
        const inside = x >= box.left && x < box.left + box.width && y >= box.top && y < box.top + box.height;
        if (!inside) expect(same, `pixel ${x},${y} outside the signature changed`).toBe(true);
        else if (!same) changedInside += 1;
      }
    }
    // The signature's opaque and half-transparent bars cover most of its box.
    expect(changedInside).toBeGreaterThan(box.width * box.height * 0.5);

    // And those pixels are the signature (harness: colour 230,20,200; top half opaque over its first
    // 80 % of the width, bottom half alpha 128 from 20 % on, the rest clear) scaled into the box and
    // laid over the unsigned render at the product's 85 % opacity — worked out here, not by the
    // stamping code. Resampling softens the regions' edges: 3 px around them are skipped.
    const OPACITY = 0.85;
    const colour = [230, 20, 200];
    const sx = box.width / 200;
    const sy = box.height / 80;
    const near = (value: number, edge: number) => Math.abs(value - edge) < 3;
    let checked = 0;
    for (let y = box.top; y < box.top + box.height; y++) {
      for (let x = box.left; x < box.left + box.width; x++) {
        const u = x - box.left + 0.5;
        const v = y - box.top + 0.5;
        if (near(v, 40 * sy) || near(u, 160 * sx) || near(u, 40 * sx)) continue;
        const alpha = v < 40 * sy ? (u < 160 * sx ? 1 : 0) : u >= 40 * sx ? 128 / 255 : 0;
        const i = (y * 512 + x) * 3;
        for (let c = 0; c < 3; c++) {
          const want = colour[c]! * alpha * OPACITY + unsigned.pixels[i + c]! * (1 - alpha * OPACITY);
          if (Math.abs(stored[i + c]! - want) > 1.5)
            throw new Error(`pixel ${x},${y} channel ${c} is ${stored[i + c]}, not ${want.toFixed(1)}`);
        }
        checked += 1;
      }
    }
    expect(checked).toBeGreaterThan(box.width * box.height * 0.6);
  });

  it('reports progress in order, at the milestones, before the completion', async () => {
    const hooks = receiver.forGeneration(job().generationId);
    const progress = hooks.filter((hook) => hook.route === 'generationProgress');
    const percents = progress.map((hook) => (hook.payload.progress as { percent: number }).percent);
    // Started (0 %), then 2 steps: step 1 = 45 % (crosses 10/25), step 2 = 90 % (crosses 50/75/90).
    expect(percents).toEqual([0, 45, 90]);
    expect(percents.every((percent, i) => i === 0 || percent > percents[i - 1]!)).toBe(true);
    expect(progress.every((hook) => hook.payload.attempt === 1)).toBe(true);
    expect(hooks.at(-1)?.route).toBe('generationComplete');
    expect(hooks.filter((hook) => hook.route === 'generationComplete')).toHaveLength(1);
    expect(PROGRESS_MILESTONES).toEqual([10, 25, 50, 75, 90]);
  });

  it('re-reports a redelivered job from the stored result without computing it again', async () => {
    const resultKey = storageKeys.result(job().generationId, 'png');
    const before = await storage.head(resultKey);
    const count = receiver.forGeneration(job().generationId).length;
    await broker.publish(JOB_QUEUES.generation, { ...job(), attempt: 2 });
    const again = await receiver.waitFor(
      (hook) => isRoute('generationComplete', job().generationId)(hook) && hook.payload.attempt === 2,
    );
    expect(again.payload).toMatchObject({
      resultKey,
      metadata: { seed: 1234, steps: 2, guidance: 1, width: 512, height: 512 },
    });
    // No progress (the pipeline did not run) and the stored file is untouched.
    expect(
      receiver
        .forGeneration(job().generationId)
        .slice(count)
        .map((hook) => hook.route),
    ).toEqual(['generationComplete']);
    const after = await storage.head(resultKey);
    expect(after?.etag).toBe(before?.etag);
    expect(after?.lastModified.getTime()).toBe(before?.lastModified.getTime());
    expect((await worker.health()).jobs).toMatchObject({ completed: 1, alreadyCompleted: 1 });
  });
});

describe('permanent failures', () => {
  it('a missing LoRA is reported once as MODEL_NOT_FOUND, not retryable, and nothing is stored', async () => {
    const job = generationJob(style, {
      loraModelKey: storageKeys.model('style-gone', 'lora.safetensors'),
      attempt: 2,
    });
    const failedBefore = (await worker.health()).jobs.failed;
    await broker.publish(JOB_QUEUES.generation, job);
    const failed = await receiver.waitFor(isRoute('generationFailed', job.generationId));
    expect(failed.payload).toMatchObject({
      generationId: job.generationId,
      failure: { code: 'MODEL_NOT_FOUND', retryable: false, attempt: 2 },
    });
    expect(String((failed.payload.failure as { message: string }).message)).toContain(
      'models/style-gone/lora.safetensors',
    );
    // The handler returned a failed outcome (the broker acks it) instead of throwing (which would
    // schedule a retry), and the worker is free again: one report, and no second copy coming.
    await expect
      .poll(async () => {
        const health = await worker.health();
        return { failed: health.jobs.failed - failedBefore, busy: health.busy };
      })
      .toEqual({ failed: 1, busy: false });
    expect(
      receiver
        .forGeneration(job.generationId)
        .filter((hook) => hook.route !== 'generationProgress')
        .map((hook) => hook.route),
    ).toEqual(['generationFailed']);
    expect(await storage.head(storageKeys.result(job.generationId, 'png'))).toBeNull();
  });

  it('a LoRA that is not a safetensors file is LORA_INVALID', async () => {
    const loraModelKey = storageKeys.model(style.styleId, 'broken.safetensors');
    await storage.put(loraModelKey, Buffer.from('not a safetensors file at all'), {
      contentType: 'application/octet-stream',
    });
    const job = generationJob(style, { loraModelKey });
    await broker.publish(JOB_QUEUES.generation, job);
    const failed = await receiver.waitFor(isRoute('generationFailed', job.generationId));
    expect(failed.payload.failure).toMatchObject({ code: 'LORA_INVALID', retryable: false, attempt: 1 });
  });

  it('a missing artist signature is SIGNATURE_MISSING (never an unsigned result)', async () => {
    const job = generationJob(style, { signatureKey: storageKeys.signature('artist-without-signature') });
    await broker.publish(JOB_QUEUES.generation, job);
    const failed = await receiver.waitFor(isRoute('generationFailed', job.generationId));
    expect(failed.payload.failure).toMatchObject({ code: 'SIGNATURE_MISSING', retryable: false });
    expect(await storage.head(storageKeys.result(job.generationId, 'png'))).toBeNull();
  });
});
