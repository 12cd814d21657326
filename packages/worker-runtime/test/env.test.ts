import { generateWebhookSecret } from '@stylelicense/contracts';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  embeddedEnv,
  parseWorkerEnv,
  processSettingsFromEnv,
  workerEnvFields,
  workerIdentityFromEnv,
} from '../src/index';

const secret = generateWebhookSecret();
// A worker's schema the way the workers build theirs: the shared fields plus one of its own.
const schema = z.object({
  ...workerEnvFields({ healthPort: 8090 }),
  ENGINE: z.enum(['a', 'b']).default('a'),
  ENGINE_PATH: z.string().optional(),
});
const needsPath = (e: z.output<typeof schema>) =>
  e.ENGINE === 'b' && !e.ENGINE_PATH ? ['ENGINE_PATH (ENGINE=b)'] : [];

describe('shared worker variables', () => {
  it('defaults to the in-process queue, files under DATA_DIR/storage, the given health port, info logs', () => {
    const e = parseWorkerEnv(schema, { WEBHOOK_SECRET: secret, DATA_DIR: '/srv/data' });
    const settings = processSettingsFromEnv(e, '/srv/data');
    expect(settings.broker).toEqual({ driver: 'in-process', url: undefined, prefix: '' });
    expect(settings.storage).toMatchObject({
      driver: 'filesystem',
      root: '/srv/data/storage',
      publicBaseUrl: 'http://127.0.0.1:3000/api/storage',
    });
    expect(settings.health).toEqual({ port: 8090, host: '0.0.0.0' });
    expect(settings.logLevel).toBe('info');
    expect(workerIdentityFromEnv(e, '/srv/data', 'painting')).toMatchObject({
      workerId: expect.stringMatching(/^painting-.+-\d+$/),
      apiUrl: 'http://127.0.0.1:3000',
      webhookSecret: secret,
      spoolDir: '/srv/data/spool/painting',
      shutdownGraceMs: 20_000,
    });
  });

  it('reads RabbitMQ and S3 from the compose variables; an AMQP_URL alone picks RabbitMQ', () => {
    const e = parseWorkerEnv(schema, {
      WEBHOOK_SECRET: secret,
      AMQP_URL: 'amqps://u:p@rabbitmq:5671/prod',
      QUEUE_PREFIX: 'prod.',
      API_URL: 'http://api:3000/',
      STORAGE_DRIVER: 's3',
      S3_BUCKET: 'stylelicense',
      S3_ENDPOINT: 'http://minio:9000',
      S3_FORCE_PATH_STYLE: '1',
      S3_ACCESS_KEY_ID: 'id',
      S3_SECRET_ACCESS_KEY: 'key',
      HEALTH_PORT: '9000',
      WORKER_ID: 'gpu-7',
      SPOOL_DIR: '/spool',
      SHUTDOWN_GRACE_MS: '5000',
    });
    const settings = processSettingsFromEnv(e, '/d');
    expect(settings.broker).toEqual({
      driver: 'rabbitmq',
      url: 'amqps://u:p@rabbitmq:5671/prod',
      prefix: 'prod.',
    });
    expect(settings.storage).toEqual({
      driver: 's3',
      bucket: 'stylelicense',
      region: 'us-east-1',
      endpoint: 'http://minio:9000',
      forcePathStyle: true,
      credentials: { accessKeyId: 'id', secretAccessKey: 'key' },
    });
    expect(settings.health.port).toBe(9000);
    expect(workerIdentityFromEnv(e, '/d', 'painting')).toEqual({
      workerId: 'gpu-7',
      apiUrl: 'http://api:3000/',
      webhookSecret: secret,
      spoolDir: '/spool',
      shutdownGraceMs: 5000,
    });
  });

  it('keeps a given storage folder and signing secret, and trims the API URL for the storage route', () => {
    const e = parseWorkerEnv(schema, {
      WEBHOOK_SECRET: secret,
      API_URL: 'http://api:3000//',
      STORAGE_DIR: '/objects',
      STORAGE_SIGNING_SECRET: 's'.repeat(32),
    });
    expect(processSettingsFromEnv(e, '/d').storage).toEqual({
      driver: 'filesystem',
      root: '/objects',
      publicBaseUrl: 'http://api:3000/api/storage',
      signingSecret: 's'.repeat(32),
    });
  });

  it('names every bad or missing variable in one error', () => {
    expect(() => parseWorkerEnv(schema, {})).toThrow(/^Invalid configuration:\n {2}WEBHOOK_SECRET: /);
    expect(() => parseWorkerEnv(schema, { WEBHOOK_SECRET: 'hunter2' })).toThrow(
      /WEBHOOK_SECRET: expected whsec_/,
    );
    expect(() => parseWorkerEnv(schema, { WEBHOOK_SECRET: secret, AMQP_URL: 'http://rabbit' })).toThrow(
      /AMQP_URL: expected amqp:\/\//,
    );
    expect(() =>
      parseWorkerEnv(schema, { WEBHOOK_SECRET: secret, LOG_LEVEL: 'loud', HEALTH_PORT: '70000' }),
    ).toThrow(/LOG_LEVEL: .*\n {2}HEALTH_PORT: /s);
    expect(() =>
      parseWorkerEnv(schema, { WEBHOOK_SECRET: secret, QUEUE_DRIVER: 'rabbitmq', STORAGE_DRIVER: 's3' }),
    ).toThrow(
      'Invalid configuration:\n  AMQP_URL (QUEUE_DRIVER=rabbitmq): required\n  S3_BUCKET (STORAGE_DRIVER=s3): required',
    );
  });

  it("adds the worker's own driver rules after the shared ones", () => {
    expect(
      parseWorkerEnv(schema, { WEBHOOK_SECRET: secret, ENGINE: 'b', ENGINE_PATH: '/x' }, needsPath)
        .ENGINE_PATH,
    ).toBe('/x');
    expect(() =>
      parseWorkerEnv(schema, { WEBHOOK_SECRET: secret, ENGINE: 'b', STORAGE_DRIVER: 's3' }, needsPath),
    ).toThrow(
      'Invalid configuration:\n  S3_BUCKET (STORAGE_DRIVER=s3): required\n  ENGINE_PATH (ENGINE=b): required',
    );
  });

  it('inside the embedded API uses the given URL, secret and folder with the in-process queue and files', () => {
    const env = embeddedEnv(
      { apiUrl: 'http://127.0.0.1:4000', webhookSecret: secret, dataDir: '/tmp/x' },
      { AMQP_URL: 'amqp://elsewhere', STORAGE_DRIVER: 's3', ENGINE: 'b' },
    );
    const e = parseWorkerEnv(schema, env);
    expect(e).toMatchObject({ API_URL: 'http://127.0.0.1:4000', DATA_DIR: '/tmp/x', ENGINE: 'b' });
    expect(processSettingsFromEnv(e, '/tmp/x')).toMatchObject({
      broker: { driver: 'in-process' },
      storage: { driver: 'filesystem' },
    });
  });
});
