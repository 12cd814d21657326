import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWebhookSecret } from '@stylelicense/contracts';
import type { StorageConfig } from '@stylelicense/storage';
import { z } from 'zod';
import type { InferenceWorkerConfig } from './config';

/** Repository root's `.data/`, the embedded default's data folder (same as the API's). */
const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../../.data', import.meta.url));

const booleanish = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

const webhookSecret = z.string().refine((secret) => {
  try {
    parseWebhookSecret(secret);
    return true;
  } catch {
    return false;
  }
}, 'expected whsec_<base64 of 24–64 bytes>');

/**
 * The standalone worker's whole configuration, read from the environment once and validated.
 * Nothing else in the app reads `process.env` (enforced by ESLint).
 */
export const envSchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATA_DIR: z.string().default(DEFAULT_DATA_DIR),
  WORKER_ID: z.string().min(1).max(200).optional(),

  // Broker: RabbitMQ in production; `in-process` only makes sense inside the API (embedded).
  QUEUE_DRIVER: z.enum(['rabbitmq', 'in-process']).optional(),
  AMQP_URL: z.string().regex(/^amqps?:\/\//, 'expected amqp://user:pass@host:5672/vhost').optional(),
  QUEUE_PREFIX: z.string().regex(/^[\w.-]*$/).default(''),

  // Reports go to the API's webhook adapter, signed with the inference source's secret.
  API_URL: z.url().default('http://127.0.0.1:3000'),
  WEBHOOK_SECRET: webhookSecret,
  SPOOL_DIR: z.string().optional(),

  // Object storage (same variables as the API).
  STORAGE_DRIVER: z.enum(['fs', 's3']).default('fs'),
  /** Filesystem driver root; the API's default is DATA_DIR/storage, so both see the same objects. */
  STORAGE_DIR: z.string().optional(),
  STORAGE_SIGNING_SECRET: z.string().min(32).optional(),
  S3_ENDPOINT: z.url().optional(),
  S3_BUCKET: z.string().min(3).optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: booleanish.default(false),

  // Inference.
  /** An Optimum ONNX export; unset = the synthetic `tiny` model, built on first start. */
  MODEL_DIR: z.string().min(1).optional(),
  EXECUTION_PROVIDER: z.enum(['cpu', 'cuda']).default('cpu'),
  CUDA_DEVICE_ID: z.coerce.number().int().min(0).default(0),
  SESSION_CACHE_MB: z.coerce.number().int().min(64).default(8192),
  /** Override the job's steps / guidance (e.g. a turbo model); unset = what the job asks for. */
  STEPS: z.coerce.number().int().min(1).max(150).optional(),
  GUIDANCE: z.coerce.number().min(0).max(30).optional(),
  LORA_STRENGTH: z.coerce.number().min(0).max(2).default(1),
  LORA_CACHE_DIR: z.string().optional(),
  LORA_CACHE_MB: z.coerce.number().int().min(1).default(4096),
  OUTPUT_FORMAT: z.enum(['png', 'webp']).default('png'),
  JOB_TIMEOUT_MS: z.coerce.number().int().min(1000).default(300_000),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(20_000),

  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8081),
  HEALTH_HOST: z.string().default('0.0.0.0'),
});

export type WorkerEnv = z.output<typeof envSchema>;

export interface ProcessSettings {
  worker: InferenceWorkerConfig;
  broker: { driver: 'rabbitmq' | 'in-process'; url?: string; prefix: string };
  storage: StorageConfig;
  health: { port: number; host: string };
  logLevel: WorkerEnv['LOG_LEVEL'];
}

/** Steps the synthetic `tiny` model runs when nothing else is configured: it is a smoke model, not art. */
export const TINY_MODEL_STEPS = 4;

export function loadSettings(env: Record<string, string | undefined> = process.env): ProcessSettings {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${problems}`);
  }
  const e = parsed.data;
  const queueDriver = e.QUEUE_DRIVER ?? (e.AMQP_URL ? 'rabbitmq' : 'in-process');
  const missing = [
    ...(queueDriver === 'rabbitmq' && !e.AMQP_URL ? ['AMQP_URL (QUEUE_DRIVER=rabbitmq)'] : []),
    ...(e.STORAGE_DRIVER === 's3' && !e.S3_BUCKET ? ['S3_BUCKET (STORAGE_DRIVER=s3)'] : []),
  ];
  if (missing.length) throw new Error(`Invalid configuration:\n${missing.map((m) => `  ${m}: required`).join('\n')}`);

  const dataDir = resolve(e.DATA_DIR);
  const storage: StorageConfig =
    e.STORAGE_DRIVER === 's3'
      ? {
          driver: 's3',
          bucket: e.S3_BUCKET!,
          region: e.S3_REGION,
          endpoint: e.S3_ENDPOINT,
          forcePathStyle: e.S3_FORCE_PATH_STYLE,
          credentials:
            e.S3_ACCESS_KEY_ID && e.S3_SECRET_ACCESS_KEY
              ? { accessKeyId: e.S3_ACCESS_KEY_ID, secretAccessKey: e.S3_SECRET_ACCESS_KEY }
              : undefined,
        }
      : {
          driver: 'filesystem',
          root: e.STORAGE_DIR ?? join(dataDir, 'storage'),
          // The worker never hands out presigned URLs; the driver still wants a base and a key.
          publicBaseUrl: `${e.API_URL.replace(/\/+$/, '')}/api/storage`,
          signingSecret: e.STORAGE_SIGNING_SECRET ?? randomBytes(32),
        };

  return {
    worker: {
      workerId: e.WORKER_ID ?? `inference-${hostname()}-${process.pid}`,
      apiUrl: e.API_URL,
      webhookSecret: e.WEBHOOK_SECRET,
      dataDir,
      modelDir: e.MODEL_DIR ? resolve(e.MODEL_DIR) : undefined,
      provider: e.EXECUTION_PROVIDER === 'cuda' ? { provider: 'cuda', deviceId: e.CUDA_DEVICE_ID } : { provider: 'cpu' },
      sessionCacheBytes: e.SESSION_CACHE_MB * 1024 ** 2,
      steps: e.STEPS ?? (e.MODEL_DIR ? undefined : TINY_MODEL_STEPS),
      guidance: e.GUIDANCE,
      loraStrength: e.LORA_STRENGTH,
      loraCacheDir: e.LORA_CACHE_DIR ? resolve(e.LORA_CACHE_DIR) : join(dataDir, 'cache', 'inference-lora'),
      loraCacheBytes: e.LORA_CACHE_MB * 1024 ** 2,
      outputFormat: e.OUTPUT_FORMAT,
      jobTimeoutMs: e.JOB_TIMEOUT_MS,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
      spoolDir: e.SPOOL_DIR ? resolve(e.SPOOL_DIR) : join(dataDir, 'spool', 'inference'),
    },
    broker: { driver: queueDriver, url: e.AMQP_URL, prefix: e.QUEUE_PREFIX },
    storage,
    health: { port: e.HEALTH_PORT, host: e.HEALTH_HOST },
    logLevel: e.LOG_LEVEL,
  };
}

/**
 * The worker's configuration inside the embedded API: the API supplies where to report, the
 * secret and the data folder; the inference settings (MODEL_DIR, EXECUTION_PROVIDER, STEPS, …)
 * still come from the environment.
 */
export function embeddedWorkerConfig(
  given: { apiUrl: string; webhookSecret: string; dataDir: string },
  env: Record<string, string | undefined> = process.env,
): InferenceWorkerConfig {
  return loadSettings({
    ...env,
    API_URL: given.apiUrl,
    WEBHOOK_SECRET: given.webhookSecret,
    DATA_DIR: given.dataDir,
    QUEUE_DRIVER: 'in-process',
    STORAGE_DRIVER: 'fs',
  }).worker;
}
