// The job handler on its own (transport-agnostic): retryable failures, unreadable jobs and an API
// that is down when the result is ready.
import { randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { generateProvenanceKeyPair, provenanceSigner } from '@stylelicense/imaging';
import { DiffusionWorker, silentLogger } from '@stylelicense/diffusion';
import { PermanentError } from '@stylelicense/queue';
import { createStorage, storageKeys, type ObjectStorage, type S3Storage } from '@stylelicense/storage';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import S3rver from 's3rver';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createGenerationReporter, type GenerationReporter } from '../src/reporter';
import { LoraCache, SignatureCache } from '../src/style-inputs';
import { createGenerationHandler } from '../src/worker';
import {
  buildTinyModel,
  filesystemStorage,
  generationJob,
  isRoute,
  seedStyle,
  silentLog,
  startWebhookReceiver,
  type StyleFixture,
  type WebhookReceiver,
} from './harness';

let dir: TempDir;
let modelDir: string;
let diffusion: DiffusionWorker;
let receiver: WebhookReceiver;
let reporter: GenerationReporter;

beforeAll(async () => {
  dir = await makeTempDir('inference-failures');
  modelDir = buildTinyModel(dir.path);
  diffusion = await DiffusionWorker.start({ logger: silentLogger });
  receiver = await startWebhookReceiver();
  reporter = createGenerationReporter({
    apiUrl: receiver.url,
    secret: receiver.secret,
    spoolDir: join(dir.path, 'spool'),
    log: silentLog,
    maxAttempts: 1,
  });
});

afterAll(async () => {
  await reporter?.close();
  await diffusion?.close();
  await receiver?.close();
  await dir?.remove();
});

function handlerFor(storage: ObjectStorage, overrides: { jobTimeoutMs?: number } = {}) {
  return createGenerationHandler({
    storage,
    diffusion,
    reporter,
    loras: new LoraCache(
      join(dir.path, `lora-${randomBytes(4).toString('hex')}`),
      64 * 1024 ** 2,
      storage,
      silentLog,
    ),
    signatures: new SignatureCache(storage),
    modelDir,
    config: { loraStrength: 1, outputFormat: 'png', jobTimeoutMs: overrides.jobTimeoutMs ?? 120_000 },
    provenance: provenanceSigner(generateProvenanceKeyPair().privateKey),
    log: silentLog,
  });
}

describe('retryable failures', () => {
  it('object storage going down mid-job is STORAGE_UNAVAILABLE, retryable, with the attempt', async () => {
    const directory = join(dir.path, 's3rver');
    const server = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory });
    const { port } = await server.run();
    const storage = createStorage({
      driver: 's3',
      bucket: `sl-inference-${randomBytes(4).toString('hex')}`,
      region: 'us-east-1',
      endpoint: `http://127.0.0.1:${port}`,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
      maxAttempts: 1,
    });
    try {
      await storage.ensureBucket();
      const style: StyleFixture = await seedStyle(storage, modelDir);
      const job = generationJob(style, { attempt: 2 });
      // The store stops while the image is being made: inputs were fetched, the upload cannot happen.
      let stopped: Promise<void> | undefined;
      const off = receiver.onWebhook((hook) => {
        const percent = (hook.payload.progress as { percent?: number } | undefined)?.percent ?? 0;
        if (!isRoute('generationProgress', job.generationId)(hook) || percent === 0 || stopped) return;
        // Like a crashed store: open keep-alive sockets die with it.
        const http = (server as unknown as { httpServer: import('node:http').Server }).httpServer;
        http.closeAllConnections();
        stopped = server.close();
      });
      const outcome = await handlerFor(storage)(job);
      off();
      await stopped;
      expect(outcome).toEqual({ status: 'failed', code: 'STORAGE_UNAVAILABLE', retryable: true });
      const failed = await receiver.waitFor(isRoute('generationFailed', job.generationId));
      expect(failed.payload.failure).toMatchObject({
        code: 'STORAGE_UNAVAILABLE',
        retryable: true,
        attempt: 2,
      });
      // It got as far as denoising: the inputs came from the store before it went down.
      expect(receiver.forGeneration(job.generationId).map((hook) => hook.route)).toContain(
        'generationProgress',
      );
      expect(
        receiver.forGeneration(job.generationId).some((hook) => hook.route === 'generationComplete'),
      ).toBe(false);
    } finally {
      (storage as S3Storage).destroy();
      await server.close().catch(() => undefined);
    }
  });

  it('a job past its time limit is TIMEOUT, retryable, and stops computing', async () => {
    const storage = filesystemStorage(join(dir.path, 'timeout-storage'));
    await storage.ensureBucket();
    const style = await seedStyle(storage, modelDir);
    // 150 guided steps (the most a job may ask) take far longer than the limit on any CPU.
    const job = generationJob(style, { steps: 150, guidance: 7.5 });
    const started = Date.now();
    const outcome = await handlerFor(storage, { jobTimeoutMs: 1_500 })(job);
    expect(outcome).toEqual({ status: 'failed', code: 'TIMEOUT', retryable: true });
    // Cancelled at the next step, not after 60 of them.
    expect(Date.now() - started).toBeLessThan(15_000);
    const failed = await receiver.waitFor(isRoute('generationFailed', job.generationId));
    expect(failed.payload.failure).toMatchObject({ code: 'TIMEOUT', retryable: true, attempt: 1 });
    expect(await storage.head(storageKeys.result(job.generationId, 'png'))).toBeNull();
  });
});

describe('unreadable jobs', () => {
  const storage = () => filesystemStorage(join(dir.path, 'unused'));

  it('an unknown message version is parked untouched: no report (a newer worker may read it)', async () => {
    const job = {
      ...generationJob({
        styleId: 's',
        artistId: 'a',
        loraKey: 'models/s/l',
        signatureKey: 'signatures/a.png',
      }),
      v: 2,
    };
    await expect(handlerFor(storage())(job)).rejects.toBeInstanceOf(PermanentError);
    // Final reports are awaited by the handler; progress reports are fire-and-forget, so wait for
    // those to settle and for the spool to be empty: whatever it sent has arrived by then.
    await reporter.progressSettled();
    expect(await reporter.flush()).toEqual({ delivered: 0, remaining: 0 });
    expect(receiver.forGeneration(job.generationId)).toEqual([]);
  });

  it('a v1 job with bad fields is reported as BAD_PROMPT (so the user is refunded) and parked', async () => {
    const job = {
      ...generationJob({
        styleId: 's',
        artistId: 'a',
        loraKey: 'models/s/l',
        signatureKey: 'signatures/a.png',
      }),
      width: 640,
      attempt: 3,
    };
    await expect(handlerFor(storage())(job)).rejects.toBeInstanceOf(PermanentError);
    const failed = await receiver.waitFor(isRoute('generationFailed', job.generationId));
    expect(failed.payload.failure).toMatchObject({ code: 'BAD_PROMPT', retryable: false, attempt: 3 });
    expect(String((failed.payload.failure as { message: string }).message)).toContain('width');
  });
});

describe('the API is down when the result is ready', () => {
  it('keeps the completion in the spool and delivers it once the API is back', async () => {
    const storage = filesystemStorage(join(dir.path, 'spool-storage'));
    await storage.ensureBucket();
    const style = await seedStyle(storage, modelDir);
    const job = generationJob(style);
    receiver.state.status = 503;
    try {
      const outcome = await handlerFor(storage)(job);
      expect(outcome.status).toBe('completed');
    } finally {
      receiver.state.status = 200;
    }
    expect(receiver.forGeneration(job.generationId)).toEqual([]);
    const spooled = (await readdir(join(dir.path, 'spool'))).filter((name) => name.endsWith('.json'));
    expect(spooled).toHaveLength(1);
    expect(await reporter.flush()).toEqual({ delivered: 1, remaining: 0 });
    const completed = await receiver.waitFor(isRoute('generationComplete', job.generationId));
    expect(completed.payload).toMatchObject({
      resultKey: storageKeys.result(job.generationId, 'png'),
      attempt: 1,
    });
  });
});

describe('progress reports', () => {
  it('go out in order, and only the newest waits while one is on the wire', async () => {
    const generationId = `gen-progress-${randomBytes(4).toString('hex')}`;
    for (let step = 1; step <= 5; step++) {
      reporter.progress({
        generationId,
        attempt: 1,
        progress: { step, totalSteps: 5, percent: step * 18, etaSeconds: 5 - step },
      });
    }
    await reporter.progressSettled();
    const steps = receiver
      .forGeneration(generationId)
      .map((hook) => (hook.payload.progress as { step: number }).step);
    expect(steps).toEqual([1, 5]);
  });
});
