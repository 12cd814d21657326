import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWebhookSecret } from '@stylelicense/contracts';
import type { StorageConfig } from '@stylelicense/storage';
import { z } from 'zod';
import type { TrainerSettings, TrainingWorkerConfig } from './config';

/** Repository root's `.data/`, the embedded default's data folder (same as the API's). */
const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../../.data', import.meta.url));

const booleanish = z.enum(['true', 'false', '1', '0']).transform((value) => value === 'true' || value === '1');

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

  // Reports go to the API's webhook adapter, signed with the training source's secret.
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

  // Training.
  TRAINER_ENGINE: z.enum(['none', 'kohya']).default('none'),
  KOHYA_PYTHON: z.string().min(1).default('/opt/sd-scripts/venv/bin/python'),
  KOHYA_SCRIPTS_DIR: z.string().min(1).default('/opt/sd-scripts'),
  BASE_MODEL_PATH: z.string().min(1).optional(),
  CUDA_VISIBLE_DEVICES: z.string().regex(/^[\w,-]+$/).optional(),
  JOB_TIME_LIMIT_MS: z.coerce.number().int().min(10_000).default(2 * 60 * 60 * 1000),
  WORK_DIR: z.string().optional(),
  PROGRESS_HEARTBEAT_MS: z.coerce.number().int().min(1_000).max(30_000).default(20_000),
  PROGRESS_INTERVAL_MS: z.coerce.number().int().min(0).max(30_000).default(5_000),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(20_000),

  HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(8082),
  HEALTH_HOST: z.string().default('0.0.0.0'),
});

export type WorkerEnv = z.output<typeof envSchema>;

export interface ProcessSettings {
  worker: TrainingWorkerConfig;
  broker: { driver: 'rabbitmq' | 'in-process'; url?: string; prefix: string };
  storage: StorageConfig;
  health: { port: number; host: string };
  logLevel: WorkerEnv['LOG_LEVEL'];
}

// What the trainer process inherits: the system and ML library settings it needs, none of the
// worker's credentials (AMQP_URL, WEBHOOK_SECRET, S3_* stay out of its reach and its logs).
const TRAINER_ENV_NAMES = new Set(['PATH', 'HOME', 'USER', 'LANG', 'LC_ALL', 'TZ', 'TMPDIR', 'LD_LIBRARY_PATH', 'XDG_CACHE_HOME']);
const TRAINER_ENV_PREFIXES = ['HF_', 'TRANSFORMERS_', 'TORCH_', 'PYTORCH_', 'CUDA_', 'NVIDIA_', 'NCCL_', 'BITSANDBYTES_', 'OMP_', 'MKL_'];

export function trainerEnvironment(env: Record<string, string | undefined>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (TRAINER_ENV_NAMES.has(name) || TRAINER_ENV_PREFIXES.some((prefix) => name.startsWith(prefix))) picked[name] = value;
  }
  // Hugging Face libraries must never try the network at training time (no weights are fetched).
  picked.HF_HUB_OFFLINE ??= '1';
  return picked;
}

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
    ...(e.TRAINER_ENGINE === 'kohya' && !e.BASE_MODEL_PATH ? ['BASE_MODEL_PATH (TRAINER_ENGINE=kohya)'] : []),
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
          root: e.STORAGE_DIR ? resolve(e.STORAGE_DIR) : join(dataDir, 'storage'),
          // The worker never hands out presigned URLs; the driver still wants a base and a key.
          publicBaseUrl: `${e.API_URL.replace(/\/+$/, '')}/api/storage`,
          signingSecret: e.STORAGE_SIGNING_SECRET ?? randomBytes(32),
        };

  const trainer: TrainerSettings =
    e.TRAINER_ENGINE === 'kohya'
      ? {
          engine: 'kohya',
          pythonExecutable: e.KOHYA_PYTHON,
          sdScriptsDir: resolve(e.KOHYA_SCRIPTS_DIR),
          baseModelPath: resolve(e.BASE_MODEL_PATH!),
          cudaVisibleDevices: e.CUDA_VISIBLE_DEVICES,
          environment: trainerEnvironment(env),
        }
      : { engine: 'none' };

  return {
    worker: {
      workerId: e.WORKER_ID ?? `training-${hostname()}-${process.pid}`,
      apiUrl: e.API_URL,
      webhookSecret: e.WEBHOOK_SECRET,
      spoolDir: e.SPOOL_DIR ? resolve(e.SPOOL_DIR) : join(dataDir, 'spool', 'training'),
      workDir: e.WORK_DIR ? resolve(e.WORK_DIR) : join(dataDir, 'work', 'training'),
      trainer,
      jobTimeLimitMs: e.JOB_TIME_LIMIT_MS,
      progressHeartbeatMs: e.PROGRESS_HEARTBEAT_MS,
      progressIntervalMs: e.PROGRESS_INTERVAL_MS,
      shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
      maxAttempts: 3,
    },
    broker: { driver: queueDriver, url: e.AMQP_URL, prefix: e.QUEUE_PREFIX },
    storage,
    health: { port: e.HEALTH_PORT, host: e.HEALTH_HOST },
    logLevel: e.LOG_LEVEL,
  };
}

/**
 * The worker's configuration inside the embedded API: the API supplies where to report, the
 * secret and the data folder; the training settings (TRAINER_ENGINE, default `none`, …) still
 * come from the environment.
 */
export function embeddedWorkerConfig(
  given: { apiUrl: string; webhookSecret: string; dataDir: string },
  env: Record<string, string | undefined> = process.env,
): TrainingWorkerConfig {
  return loadSettings({
    ...env,
    API_URL: given.apiUrl,
    WEBHOOK_SECRET: given.webhookSecret,
    DATA_DIR: given.dataDir,
    QUEUE_DRIVER: 'in-process',
    STORAGE_DRIVER: 'fs',
  }).worker;
}
