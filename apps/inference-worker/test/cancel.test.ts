// A generation its owner cancels while the worker runs it: the API answers the worker's progress
// report with `stop`, and the worker stops at the pipeline's next step.
import { join } from 'node:path';
import { createInProcessBroker, JOB_QUEUES, type Broker } from '@stylelicense/queue';
import { storageKeys, type ObjectStorage } from '@stylelicense/storage';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
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
let storage: ObjectStorage;
let receiver: WebhookReceiver;
let style: StyleFixture;
let broker: Broker;
let worker: InferenceWorker;

beforeAll(async () => {
  dir = await makeTempDir('inference-cancel');
  const modelDir = buildTinyModel(dir.path);
  storage = filesystemStorage(join(dir.path, 'storage'));
  await storage.ensureBucket();
  style = await seedStyle(storage, modelDir);
  receiver = await startWebhookReceiver();
  broker = createInProcessBroker({ prefix: 'cancel-' });
  worker = await startInferenceWorker({
    broker,
    storage,
    config: workerConfig(dir.path, receiver, modelDir),
    log: silentLog,
  });
});

afterAll(async () => {
  await worker?.stop();
  await broker?.close({ graceMs: 100 });
  await receiver?.close();
  await dir?.remove();
});

it('stops a job whose progress report is answered "stop": nothing stored, no completion or failure reported, then takes the next job; /metrics counts both, and a second generation of the style hits every cache', async () => {
  const job = generationJob(style, { steps: 40 });
  receiver.state.stop.add(job.generationId);
  await broker.publish(JOB_QUEUES.generation, job);
  await receiver.waitFor(isRoute('generationProgress', job.generationId));
  await expect.poll(async () => (await worker.health()).jobs.cancelled, { timeout: 60_000 }).toBe(1);
  const routes = receiver.forGeneration(job.generationId).map((hook) => hook.route);
  expect(routes).not.toContain('generationComplete');
  expect(routes).not.toContain('generationFailed');
  expect(await storage.head(storageKeys.result(job.generationId, 'png'))).toBeNull();

  // The worker is free again: an uncancelled job completes.
  const next = generationJob(style);
  await broker.publish(JOB_QUEUES.generation, next);
  await receiver.waitFor(isRoute('generationComplete', next.generationId));
  expect((await worker.health()).jobs).toMatchObject({ cancelled: 1, completed: 1, failed: 0 });

  // The health server's /metrics tells the same story in Prometheus' format.
  const health = await startHealthServer(worker, 0, '127.0.0.1');
  try {
    const metrics = await (await fetch(`${health.url}/metrics`)).text();
    expect(metrics).toContain('worker_jobs_started_total{job="generation"} 2');
    expect(metrics).toContain('worker_jobs_finished_total{job="generation",outcome="cancelled"} 1');
    expect(metrics).toContain('worker_jobs_finished_total{job="generation",outcome="completed"} 1');
    expect(metrics).toMatch(/worker_job_duration_seconds_count\{job="generation",outcome="completed"\} 1/);
    expect(metrics).toMatch(/inference_step_duration_seconds_count 1/);
    expect(metrics).toContain('inference_images_total 1');
    expect(metrics).toMatch(/inference_images_per_second \d/);
    // Every cache's hits and misses are there; the start loaded the model's three sessions.
    const before = cacheCounts(metrics);
    expect(before.session.misses).toBe(3);

    // A second generation with the same style is served from every cache.
    const again = generationJob(style);
    await broker.publish(JOB_QUEUES.generation, again);
    await receiver.waitFor(isRoute('generationComplete', again.generationId));
    // (The cancelled job may have been stopped before its download or decode finished, so the next
    // one may have missed too: what counts is that this one adds hits and no miss.)
    const after = cacheCounts(await (await fetch(`${health.url}/metrics`)).text());
    expect(after).toEqual({
      session: { hits: before.session.hits + 3, misses: 3 },
      lora_factors: { hits: before.lora_factors.hits + 1, misses: before.lora_factors.misses },
      lora_file: { hits: before.lora_file.hits + 1, misses: before.lora_file.misses },
    });
    expect(before.lora_file.misses).toBeGreaterThanOrEqual(1);
  } finally {
    health.close();
  }
});

function cacheCounts(metrics: string) {
  const read = (result: 'hits' | 'misses', cache: string) => {
    const found = new RegExp(`^inference_cache_${result}_total\\{cache="${cache}"\\} (\\d+)$`, 'm').exec(
      metrics,
    );
    expect(found, `inference_cache_${result}_total{cache="${cache}"}`).not.toBeNull();
    return Number(found![1]);
  };
  const both = (cache: string) => ({ hits: read('hits', cache), misses: read('misses', cache) });
  return { session: both('session'), lora_factors: both('lora_factors'), lora_file: both('lora_file') };
}
