import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JOB_QUEUES, type RabbitBroker } from '@stylelicense/queue';
import type { ObjectStorage } from '@stylelicense/storage';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { styleFileKeys, startTrainingWorker, validateLoraArtifact, type TrainingWorker } from '../src/index';
import { createProcessTestEngine, type FakeTrainerMode } from './fixtures/process-engine';
import {
  memoryLog,
  putArtworks,
  rabbitFixture,
  TEN_GOOD,
  testConfig,
  testStorage,
  trainingJob,
  uniqueId,
  type ArtworkSpec,
} from './support/harness';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';
import { isAlive, readPidsWhileRunning } from './support/processes';

let tempDir: TempDir;
let root: string;
let storage: ObjectStorage;
let receiver: WebhookReceiver;
let fixture: ReturnType<typeof rabbitFixture>;
let api: RabbitBroker;
const running: TrainingWorker[] = [];

beforeAll(async () => {
  tempDir = await makeTempDir('training-worker');
  root = tempDir.path;
  storage = testStorage(root);
  await storage.ensureBucket();
  receiver = await startWebhookReceiver((await import('./support/harness')).SECRET);
  fixture = rabbitFixture();
  api = await fixture.connect();
});

afterEach(async () => {
  await Promise.all(running.splice(0).map((worker) => worker.stop()));
});

afterAll(async () => {
  await fixture.cleanup();
  await receiver.close();
  await tempDir.remove();
});

async function startWorker(
  mode: FakeTrainerMode,
  overrides: Parameters<typeof testConfig>[2] = {},
  engine: Parameters<typeof createProcessTestEngine>[0] = { mode },
) {
  const config = testConfig(root, receiver.url, overrides);
  const broker = await fixture.connect();
  const log = memoryLog();
  const worker = await startTrainingWorker({
    broker,
    storage,
    config,
    log,
    engine: createProcessTestEngine(engine),
  });
  running.push(worker);
  return { worker, config, log };
}

async function publishJob(specs: readonly ArtworkSpec[] = TEN_GOOD) {
  const styleId = uniqueId('style');
  const artworks = await putArtworks(storage, styleId, specs);
  const job = trainingJob(styleId, artworks);
  await api.publish(JOB_QUEUES.training, job, { messageId: job.jobId });
  return job;
}

/** Waits for the style's final report (complete or failed), then a moment more to catch duplicates. */
async function finalReports(styleId: string, timeout = 20_000) {
  const finals = () =>
    receiver.forStyle(styleId).filter((r) => r.route === 'trainingComplete' || r.route === 'trainingFailed');
  await expect.poll(() => finals().length, { timeout, interval: 50 }).toBeGreaterThan(0);
  await new Promise((resolve) => setTimeout(resolve, 600));
  return finals();
}

function routesOf(styleId: string) {
  return receiver.forStyle(styleId).map((r) => r.route);
}

describe('training worker over RabbitMQ, filesystem storage and signed webhooks', () => {
  it('trains a style end to end: adapter, log and thumbnail in storage, progress in order, completion with metrics', async () => {
    const { config } = await startWorker('success', {}, { mode: 'success', stepMs: 2 });
    const job = await publishJob();

    const finals = await finalReports(job.styleId);
    expect(finals.map((r) => r.route)).toEqual(['trainingComplete']);
    const complete = finals[0]!.body;
    const modelKey = styleFileKeys(job.styleId, job.jobId).adapter;
    expect(modelKey).toBe(`models/${job.styleId}/lora-${job.jobId}.safetensors`);
    expect(complete).toMatchObject({
      styleId: job.styleId,
      jobId: job.jobId,
      attempt: 1,
      modelKey,
      logKey: styleFileKeys(job.styleId, job.jobId).log,
      thumbnailKey: styleFileKeys(job.styleId, job.jobId).thumbnail,
      rejectedArtworks: [],
    });
    const metrics = complete.metrics as { finalLoss: number; steps: number; durationSeconds: number };
    expect(metrics.steps).toBe(1000); // 10 images → 1000 steps (schedule.ts)
    expect(metrics.finalLoss).toBeGreaterThan(0);
    expect(metrics.durationSeconds).toBeGreaterThan(0);

    // The adapter in storage is a valid rank-8 kohya LoRA.
    const adapterCopy = join(root, `${job.styleId}.safetensors`);
    await writeFile(adapterCopy, await storage.get(modelKey));
    const summary = await validateLoraArtifact(adapterCopy, { rank: 8, trainTextEncoder: false });
    expect(summary.rank).toBe(8);
    expect((await storage.get(styleFileKeys(job.styleId, job.jobId).log)).toString()).toContain('1000/1000');
    const thumbnail = await sharp(
      await storage.get(styleFileKeys(job.styleId, job.jobId).thumbnail),
    ).metadata();
    expect(thumbnail.format).toBe('webp');
    expect(Math.max(thumbnail.width, thumbnail.height)).toBeLessThanOrEqual(512);

    // started → progress… → complete; progress never goes backwards and starts at 0 %.
    const routes = routesOf(job.styleId);
    expect(routes[0]).toBe('trainingStarted');
    expect(routes.at(-1)).toBe('trainingComplete');
    const progress = receiver
      .forStyle(job.styleId)
      .filter((r) => r.route === 'trainingProgress')
      .map(
        (r) => r.body.progress as { step: number; percent: number; totalSteps: number; updatedAt: string },
      );
    expect(progress.length).toBeGreaterThanOrEqual(3);
    expect(progress[0]).toMatchObject({ step: 0, percent: 0 });
    for (let n = 1; n < progress.length; n++) {
      expect(progress[n]!.step).toBeGreaterThanOrEqual(progress[n - 1]!.step);
      expect(progress[n]!.percent).toBeGreaterThanOrEqual(progress[n - 1]!.percent);
    }
    expect(progress.some((p) => p.step > 0 && p.totalSteps === 1000)).toBe(true);
    const started = receiver.forStyle(job.styleId)[0]!.body;
    expect(started).toMatchObject({ workerId: expect.stringMatching(/^test-worker-/), leaseSeconds: 60 });
    expect(receiver.refused).toEqual([]);
    expect(await readdir(config.workDir)).toEqual([]); // the job's scratch folder is gone
  });

  it('reports TRAINER_CRASHED once, after the queue retried the crashing trainer up to its limit', async () => {
    const { log } = await startWorker('crash');
    const job = await publishJob();
    const finals = await finalReports(job.styleId);
    expect(finals).toHaveLength(1);
    expect(finals[0]!.body.failure).toMatchObject({ code: 'TRAINER_CRASHED', retryable: false, attempt: 1 });
    expect((finals[0]!.body.failure as { message: string }).message).toMatch(
      /Expected all tensors to be on the same device.*\(after 3 tries\)/s,
    );
    expect(routesOf(job.styleId).filter((r) => r === 'trainingStarted')).toHaveLength(3);
    expect(log.lines.filter((l) => l.message === 'training failed; the queue retries it')).toHaveLength(2);
    expect(finals[0]!.body.logKey).toBe(styleFileKeys(job.styleId, job.jobId).log);
  });

  it('reports ARTIFACT_INVALID once, without retrying, when the trainer writes a broken adapter', async () => {
    await startWorker('garbage');
    const job = await publishJob();
    const finals = await finalReports(job.styleId);
    expect(finals).toHaveLength(1);
    expect(finals[0]!.body.failure).toMatchObject({ code: 'ARTIFACT_INVALID' });
    expect(routesOf(job.styleId).filter((r) => r === 'trainingStarted')).toHaveLength(1);
    expect(await storage.head(styleFileKeys(job.styleId, job.jobId).adapter)).toBeNull();
  });

  it('reports TIMEOUT once and leaves no trainer process (or its children) running', async () => {
    const { config } = await startWorker(
      'hang',
      // Long enough for the fake trainer (a node process) to start and write its pids on a busy machine.
      { jobTimeLimitMs: 8_000 },
      { mode: 'hang', grandchild: true },
    );
    const job = await publishJob();
    const pids = await readPidsWhileRunning(config.workDir);
    const finals = await finalReports(job.styleId);
    expect(finals).toHaveLength(1);
    expect(finals[0]!.body.failure).toMatchObject({ code: 'TIMEOUT' });
    expect((finals[0]!.body.failure as { message: string }).message).toMatch(/8 s time limit/);
    expect(routesOf(job.styleId).filter((r) => r === 'trainingStarted')).toHaveLength(1);
    expect(await isAlive(pids.trainer)).toBe(false);
    expect(await isAlive(pids.grandchild)).toBe(false);
  });

  it('reports LOW_QUALITY_DATA with every rejected image and its reason when too few are usable', async () => {
    await startWorker('success');
    const specs: ArtworkSpec[] = [
      ...TEN_GOOD.slice(0, 8),
      { width: 300, height: 300 },
      { width: 600, height: 600, corrupt: true },
    ];
    const job = await publishJob(specs);
    const finals = await finalReports(job.styleId);
    expect(finals).toHaveLength(1);
    const failed = finals[0]!.body;
    expect(failed.failure).toMatchObject({ code: 'LOW_QUALITY_DATA' });
    expect((failed.failure as { message: string }).message).toMatch(/only 8 of 10 images are usable/);
    expect(failed.rejectedArtworks).toEqual([
      { artworkId: job.artworks[8]!.artworkId, reason: expect.stringMatching(/^too_small: 300×300/) },
      { artworkId: job.artworks[9]!.artworkId, reason: expect.stringMatching(/^unsupported_format/) },
    ]);
    expect(routesOf(job.styleId).filter((r) => r === 'trainingStarted')).toHaveLength(1);
  });

  it('drops a duplicate job whose style the API says is already finished, without training it', async () => {
    const { worker, log } = await startWorker('success');
    const styleId = uniqueId('style');
    receiver.setAnswer((route, body) =>
      route === 'trainingStarted' && body.styleId === styleId
        ? { status: 'ignored', reason: 'training already completed' }
        : undefined,
    );
    try {
      const job = trainingJob(styleId, await putArtworks(storage, styleId, TEN_GOOD));
      await api.publish(JOB_QUEUES.training, job, { messageId: job.jobId });
      await expect.poll(async () => (await worker.health()).jobs.skipped, { timeout: 10_000 }).toBe(1);
      await new Promise((resolve) => setTimeout(resolve, 800)); // nothing comes back through a retry tier
      expect(routesOf(styleId)).toEqual(['trainingStarted']);
      expect(await storage.head(styleFileKeys(styleId, job.jobId).adapter)).toBeNull();
      expect(
        log.lines.find((l) => l.message === 'the API declined the training job; dropped')?.fields,
      ).toMatchObject({ reason: 'training already completed' });
    } finally {
      receiver.setAnswer(undefined);
    }
  });

  it('hands a claimed job back on graceful shutdown (trainer killed), and the next worker completes it once', async () => {
    const first = await startWorker('hang', {}, { mode: 'hang', grandchild: true });
    const job = await publishJob();
    const pids = await readPidsWhileRunning(first.config.workDir);
    running.splice(running.indexOf(first.worker), 1);
    await first.worker.stop();
    expect(await isAlive(pids.trainer)).toBe(false);
    expect(await isAlive(pids.grandchild)).toBe(false);
    expect(
      first.log.lines.some(
        (l) => l.message === 'worker shutting down: training job handed back to the queue',
      ),
    ).toBe(true);
    expect(receiver.forStyle(job.styleId).some((r) => r.route === 'trainingFailed')).toBe(false);

    await startWorker('success');
    const finals = await finalReports(job.styleId);
    expect(finals.map((r) => r.route)).toEqual(['trainingComplete']);
    expect(finals[0]!.body.attempt).toBe(1);
    const workers = receiver
      .forStyle(job.styleId)
      .filter((r) => r.route === 'trainingStarted')
      .map((r) => r.body.workerId);
    expect(workers).toEqual([first.config.workerId, expect.stringMatching(/^test-worker-/)]);
    expect(workers[0]).not.toBe(workers[1]);
  });
});
