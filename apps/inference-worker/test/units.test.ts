// The small rules: configuration, failure classes, progress milestones, the prompt.
import { DomainError, generateWebhookSecret, JOB_FAILURE_CODES, JobFailure } from '@stylelicense/contracts';
import { DiffusionError } from '@stylelicense/diffusion';
import { StorageError } from '@stylelicense/storage';
import { describe, expect, it } from 'vitest';
import { embeddedWorkerConfig, loadSettings, TINY_MODEL_STEPS } from '../src/env';
import { classifyFailure } from '../src/failures';
import { ProgressMilestones } from '../src/progress';
import { artistIdOf, promptFor } from '../src/prompt';

const secret = generateWebhookSecret();

describe('configuration', () => {
  it('defaults to the embedded-style setup: in-process queue, fs storage, tiny model at a few steps, health on 8081', () => {
    const settings = loadSettings({ WEBHOOK_SECRET: secret, DATA_DIR: '/srv/data' });
    expect(settings.broker).toEqual({ driver: 'in-process', url: undefined, prefix: '' });
    expect(settings.storage).toMatchObject({
      driver: 'filesystem',
      root: '/srv/data/storage',
      publicBaseUrl: 'http://127.0.0.1:3000/api/storage',
    });
    expect(settings.health).toEqual({ port: 8081, host: '0.0.0.0' });
    expect(settings.worker).toMatchObject({
      modelDir: undefined,
      steps: TINY_MODEL_STEPS,
      guidance: undefined,
      provider: { provider: 'cpu' },
      outputFormat: 'png',
      spoolDir: '/srv/data/spool/inference',
      loraCacheDir: '/srv/data/cache/inference-lora',
      sessionCacheBytes: 8192 * 1024 ** 2,
    });
  });

  it('reads a production setup: RabbitMQ, S3, a real model on CUDA, job steps untouched', () => {
    const settings = loadSettings({
      WEBHOOK_SECRET: secret,
      AMQP_URL: 'amqp://user:pass@rabbitmq:5672',
      QUEUE_PREFIX: 'prod.',
      API_URL: 'http://api:3000',
      STORAGE_DRIVER: 's3',
      S3_BUCKET: 'stylelicense',
      S3_ENDPOINT: 'http://minio:9000',
      S3_FORCE_PATH_STYLE: 'true',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'key',
      MODEL_DIR: '/models/sd15',
      EXECUTION_PROVIDER: 'cuda',
      CUDA_DEVICE_ID: '1',
      SESSION_CACHE_MB: '12000',
      OUTPUT_FORMAT: 'webp',
      JOB_TIMEOUT_MS: '60000',
      HEALTH_PORT: '9000',
    });
    expect(settings.broker).toEqual({
      driver: 'rabbitmq',
      url: 'amqp://user:pass@rabbitmq:5672',
      prefix: 'prod.',
    });
    expect(settings.storage).toMatchObject({
      driver: 's3',
      bucket: 'stylelicense',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
    });
    expect(settings.worker).toMatchObject({
      modelDir: '/models/sd15',
      steps: undefined,
      provider: { provider: 'cuda', deviceId: 1 },
      sessionCacheBytes: 12000 * 1024 ** 2,
      outputFormat: 'webp',
      jobTimeoutMs: 60_000,
    });
    expect(settings.health.port).toBe(9000);
  });

  it('refuses a missing or malformed secret, and half-configured drivers, naming the variable', () => {
    expect(() => loadSettings({})).toThrow(/WEBHOOK_SECRET/);
    expect(() => loadSettings({ WEBHOOK_SECRET: 'hunter2' })).toThrow(/WEBHOOK_SECRET: expected whsec_/);
    expect(() => loadSettings({ WEBHOOK_SECRET: secret, QUEUE_DRIVER: 'rabbitmq' })).toThrow(/AMQP_URL/);
    expect(() => loadSettings({ WEBHOOK_SECRET: secret, STORAGE_DRIVER: 's3' })).toThrow(/S3_BUCKET/);
    expect(() => loadSettings({ WEBHOOK_SECRET: secret, EXECUTION_PROVIDER: 'rocm' })).toThrow(
      /EXECUTION_PROVIDER/,
    );
  });

  it('inside the embedded API takes the API URL, secret and data folder it is given', () => {
    const config = embeddedWorkerConfig(
      { apiUrl: 'http://127.0.0.1:4000', webhookSecret: secret, dataDir: '/tmp/x' },
      { MODEL_DIR: '/m' },
    );
    expect(config).toMatchObject({
      apiUrl: 'http://127.0.0.1:4000',
      webhookSecret: secret,
      dataDir: '/tmp/x',
      modelDir: '/m',
      steps: undefined,
    });
  });
});

describe('failure classes', () => {
  const cases: [string, unknown, string][] = [
    ['GPU out of memory', new DiffusionError('OUT_OF_MEMORY', 'CUDA out of memory'), 'GPU_OOM'],
    ['missing model', new DiffusionError('MODEL_NOT_FOUND', 'no unet'), 'MODEL_NOT_FOUND'],
    ['corrupt model', new DiffusionError('MODEL_INVALID', 'protobuf parsing failed'), 'MODEL_NOT_FOUND'],
    ['bad LoRA', new DiffusionError('LORA_INVALID', 'no matching weights'), 'LORA_INVALID'],
    ['bad input', new DiffusionError('INVALID_INPUT', 'width'), 'BAD_PROMPT'],
    ['runtime failure', new DiffusionError('INFERENCE_FAILED', 'thread died'), 'INTERNAL'],
    ['storage down', new StorageError('STORAGE_UNAVAILABLE', 'ECONNREFUSED'), 'STORAGE_UNAVAILABLE'],
    ['storage refused', new StorageError('STORAGE_ACCESS_DENIED', 'denied'), 'INTERNAL'],
    ['unreadable message', new DomainError('VALIDATION_ERROR', 'bad'), 'BAD_PROMPT'],
    ['network', Object.assign(new TypeError('fetch failed'), { cause: { code: 'ECONNRESET' } }), 'NETWORK'],
    ['anything else', new Error('boom'), 'INTERNAL'],
    ['already classified', new JobFailure('TIMEOUT'), 'TIMEOUT'],
  ];
  it.each(cases)('%s', (_name, error, code) => {
    const failure = classifyFailure(error);
    expect(failure.code).toBe(code);
    expect(failure.retryable).toBe(JOB_FAILURE_CODES[failure.code].retryable);
  });

  it('transient trouble is retryable, bad input and missing models are not', () => {
    expect(classifyFailure(new DiffusionError('OUT_OF_MEMORY', 'x')).retryable).toBe(true);
    expect(classifyFailure(new StorageError('STORAGE_UNAVAILABLE', 'x')).retryable).toBe(true);
    expect(classifyFailure(new DiffusionError('MODEL_NOT_FOUND', 'x')).retryable).toBe(false);
    expect(classifyFailure(new DiffusionError('LORA_INVALID', 'x')).retryable).toBe(false);
    expect(classifyFailure(new DiffusionError('INVALID_INPUT', 'x')).retryable).toBe(false);
  });
});

describe('progress milestones', () => {
  function run(totalSteps: number) {
    const reports: { step: number; percent: number }[] = [];
    const milestones = new ProgressMilestones((p) => reports.push({ step: p.step, percent: p.percent }));
    milestones.started(totalSteps);
    for (let step = 1; step <= totalSteps; step++) milestones.onStep(step, totalSteps, totalSteps - step);
    return reports;
  }

  it('reports about 10/25/50/75/90 % of a 30-step job, once each, in order', () => {
    expect(run(30)).toEqual([
      { step: 0, percent: 0 },
      { step: 4, percent: 12 },
      { step: 9, percent: 27 },
      { step: 17, percent: 51 },
      { step: 25, percent: 75 },
      { step: 30, percent: 90 },
    ]);
  });

  it('reports once per step that crosses milestones when there are few steps', () => {
    expect(run(1)).toEqual([
      { step: 0, percent: 0 },
      { step: 1, percent: 90 },
    ]);
  });
});

describe('prompt', () => {
  it('leads with the style name, like the training captions, and keeps the description out', () => {
    expect(promptFor({ styleName: 'Ink Wash', promptTags: ['Lighthouse', 'ink wash', ' dusk,  sea '] })).toBe(
      'ink wash, lighthouse, dusk sea',
    );
  });

  it('reads the artist id from the signature key', () => {
    expect(artistIdOf('signatures/artist-42.png')).toBe('artist-42');
    expect(artistIdOf('uploads/x/1')).toBeUndefined();
  });
});
