import { generateWebhookSecret } from '@stylelicense/contracts';
import { describe, expect, it } from 'vitest';
import { leaseSecondsFor, loadSettings, trainerEnvironment } from '../src/index';

const secret = generateWebhookSecret();
const base = { WEBHOOK_SECRET: secret, DATA_DIR: '/srv/data' };

describe('env.ts', () => {
  it('defaults to the onnx engine on the tiny model, the in-process queue without AMQP_URL, and health on 8082', () => {
    const settings = loadSettings(base);
    expect(settings.worker.trainer).toEqual({
      engine: 'onnx',
      modelDir: undefined,
      dataDir: '/srv/data',
      resolution: 64,
      maxSteps: 300,
      sampleSteps: 20,
      provider: { provider: 'cpu' },
    });
    expect(
      loadSettings({
        ...base,
        MODEL_DIR: '/models/sd15',
        TRAIN_MAX_STEPS: '1500',
        EXECUTION_PROVIDER: 'cuda',
        CUDA_DEVICE_ID: '1',
      }).worker.trainer,
    ).toEqual({
      engine: 'onnx',
      modelDir: '/models/sd15',
      dataDir: '/srv/data',
      resolution: 512,
      maxSteps: 1500,
      sampleSteps: 20,
      provider: { provider: 'cuda', deviceId: 1 },
    });
    expect(loadSettings({ ...base, TRAINER_ENGINE: 'none' }).worker.trainer).toEqual({ engine: 'none' });
    expect(settings.broker).toEqual({ driver: 'in-process', url: undefined, prefix: '' });
    expect(settings.health.port).toBe(8082);
    expect(settings.worker).toMatchObject({
      workDir: '/srv/data/work/training',
      spoolDir: '/srv/data/spool/training',
      progressHeartbeatMs: 20_000,
      jobTimeLimitMs: 7_200_000,
    });
    expect(settings.storage).toMatchObject({ driver: 'filesystem', root: '/srv/data/storage' });
  });

  it('configures kohya, RabbitMQ and S3 from the compose variables', () => {
    const settings = loadSettings({
      ...base,
      AMQP_URL: 'amqp://u:p@rabbitmq:5672',
      QUEUE_PREFIX: 'prod.',
      STORAGE_DRIVER: 's3',
      S3_BUCKET: 'stylelicense',
      S3_ENDPOINT: 'http://minio:9000',
      S3_FORCE_PATH_STYLE: 'true',
      TRAINER_ENGINE: 'kohya',
      BASE_MODEL_PATH: '/models/base-diffusers',
      CUDA_VISIBLE_DEVICES: '1',
      WORK_DIR: '/scratch',
      PROGRESS_HEARTBEAT_MS: '15000',
    });
    expect(settings.broker).toEqual({ driver: 'rabbitmq', url: 'amqp://u:p@rabbitmq:5672', prefix: 'prod.' });
    expect(settings.storage).toMatchObject({
      driver: 's3',
      bucket: 'stylelicense',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
    });
    expect(settings.worker.trainer).toMatchObject({
      engine: 'kohya',
      pythonExecutable: '/opt/sd-scripts/venv/bin/python',
      sdScriptsDir: '/opt/sd-scripts',
      baseModelPath: '/models/base-diffusers',
      cudaVisibleDevices: '1',
    });
    expect(settings.worker.workDir).toBe('/scratch');
    expect(leaseSecondsFor(settings.worker)).toBe(90);
  });

  it('refuses a missing secret, a heartbeat over 30 s, kohya without a base model, rabbitmq without a URL', () => {
    expect(() => loadSettings({ DATA_DIR: '/d' })).toThrow(/WEBHOOK_SECRET/);
    expect(() => loadSettings({ ...base, WEBHOOK_SECRET: 'hunter2' })).toThrow(/whsec_/);
    expect(() => loadSettings({ ...base, PROGRESS_HEARTBEAT_MS: '45000' })).toThrow(/PROGRESS_HEARTBEAT_MS/);
    expect(() => loadSettings({ ...base, TRAINER_ENGINE: 'kohya' })).toThrow(
      /BASE_MODEL_PATH \(TRAINER_ENGINE=kohya\): required/,
    );
    expect(() => loadSettings({ ...base, QUEUE_DRIVER: 'rabbitmq' })).toThrow(/AMQP_URL/);
    expect(() => loadSettings({ ...base, TRAINER_ENGINE: 'torch' })).toThrow(/TRAINER_ENGINE/);
    expect(() => loadSettings({ ...base, TRAIN_RESOLUTION: '100' })).toThrow(/TRAIN_RESOLUTION/);
  });

  it("gives the trainer the system and ML settings it needs, never the worker's credentials", () => {
    const env = trainerEnvironment({
      PATH: '/usr/bin',
      HOME: '/home/worker',
      HF_HOME: '/cache/hf',
      PYTORCH_CUDA_ALLOC_CONF: 'expandable_segments:True',
      WEBHOOK_SECRET: secret,
      AMQP_URL: 'amqp://u:p@rabbitmq',
      S3_SECRET_ACCESS_KEY: 'shh',
      STORAGE_SIGNING_SECRET: 'x'.repeat(40),
    });
    expect(env).toEqual({
      PATH: '/usr/bin',
      HOME: '/home/worker',
      HF_HOME: '/cache/hf',
      PYTORCH_CUDA_ALLOC_CONF: 'expandable_segments:True',
      HF_HUB_OFFLINE: '1',
    });
  });
});
