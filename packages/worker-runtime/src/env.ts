import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseWebhookSecret } from '@stylelicense/contracts';
import { s3ConfigFromVariables, type StorageConfig } from '@stylelicense/storage';
import { z } from 'zod';

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
 * The variables every GPU worker reads the same way (queue, reporting, storage, health, logging).
 * Each worker spreads these into its own `z.object` next to its own settings; only the health
 * port's default differs per worker.
 */
export function workerEnvFields(defaults: { healthPort: number }) {
  return {
    LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
    DATA_DIR: z.string().default(DEFAULT_DATA_DIR),
    WORKER_ID: z.string().min(1).max(200).optional(),

    // Broker: RabbitMQ in production; `in-process` only makes sense inside the API (embedded).
    QUEUE_DRIVER: z.enum(['rabbitmq', 'in-process']).optional(),
    AMQP_URL: z
      .string()
      .regex(/^amqps?:\/\//, 'expected amqp://user:pass@host:5672/vhost')
      .optional(),
    QUEUE_PREFIX: z
      .string()
      .regex(/^[\w.-]*$/)
      .default(''),

    // Reports go to the API's webhook adapter, signed with this worker's source secret.
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

    SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(20_000),
    HEALTH_PORT: z.coerce.number().int().min(0).max(65535).default(defaults.healthPort),
    HEALTH_HOST: z.string().default('0.0.0.0'),
  };
}

/** The parsed shared variables; a worker's own parsed env is a superset. */
export type CommonWorkerEnv = z.output<z.ZodObject<ReturnType<typeof workerEnvFields>>>;
export type WorkerLogLevel = CommonWorkerEnv['LOG_LEVEL'];

export type EnvSource = Record<string, string | undefined>;

export interface BrokerSettings {
  driver: 'rabbitmq' | 'in-process';
  url?: string;
  prefix: string;
}

/** The process-level half of a worker's settings; `worker` is that worker's own config. */
export interface WorkerProcessSettings<Worker> {
  worker: Worker;
  broker: BrokerSettings;
  storage: StorageConfig;
  health: { port: number; host: string };
  logLevel: WorkerLogLevel;
}

function invalid(problems: string[]): Error {
  return new Error(`Invalid configuration:\n${problems.join('\n')}`);
}

function queueDriverOf(e: CommonWorkerEnv): BrokerSettings['driver'] {
  return e.QUEUE_DRIVER ?? (e.AMQP_URL ? 'rabbitmq' : 'in-process');
}

/**
 * Validates `env` against a worker's schema (built on `workerEnvFields`), then checks the
 * variables one driver choice makes required; `required` adds the worker's own such rules as
 * `'NAME (WHY)'` entries. Throws one error naming every problem.
 */
export function parseWorkerEnv<T extends CommonWorkerEnv>(
  schema: z.ZodType<T>,
  env: EnvSource,
  required: (e: T) => string[] = () => [],
): T {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw invalid(parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`));
  }
  const e = parsed.data;
  const missing = [
    ...(queueDriverOf(e) === 'rabbitmq' && !e.AMQP_URL ? ['AMQP_URL (QUEUE_DRIVER=rabbitmq)'] : []),
    ...(e.STORAGE_DRIVER === 's3' && !e.S3_BUCKET ? ['S3_BUCKET (STORAGE_DRIVER=s3)'] : []),
    ...required(e),
  ];
  if (missing.length) throw invalid(missing.map((m) => `  ${m}: required`));
  return e;
}

/** Object storage from the shared variables: S3 when asked, else files under DATA_DIR/storage. */
export function storageConfigFromEnv(e: CommonWorkerEnv, dataDir: string): StorageConfig {
  if (e.STORAGE_DRIVER === 's3') return s3ConfigFromVariables(e);
  return {
    driver: 'filesystem',
    root: e.STORAGE_DIR ? resolve(e.STORAGE_DIR) : join(dataDir, 'storage'),
    // The worker never hands out presigned URLs; the driver still wants a base and a key.
    publicBaseUrl: `${e.API_URL.replace(/\/+$/, '')}/api/storage`,
    signingSecret: e.STORAGE_SIGNING_SECRET ?? randomBytes(32),
  };
}

/** Everything in a worker's settings but its own `worker` config. */
export function processSettingsFromEnv(
  e: CommonWorkerEnv,
  dataDir: string,
): Omit<WorkerProcessSettings<never>, 'worker'> {
  return {
    broker: { driver: queueDriverOf(e), url: e.AMQP_URL, prefix: e.QUEUE_PREFIX },
    storage: storageConfigFromEnv(e, dataDir),
    health: { port: e.HEALTH_PORT, host: e.HEALTH_HOST },
    logLevel: e.LOG_LEVEL,
  };
}

/** The part of a worker's config that says who it is and where its reports go. */
export interface WorkerIdentity {
  workerId: string;
  apiUrl: string;
  webhookSecret: string;
  spoolDir: string;
  shutdownGraceMs: number;
}

/** `kind` names the worker (`inference`, `training`) in its default id and spool folder. */
export function workerIdentityFromEnv(e: CommonWorkerEnv, dataDir: string, kind: string): WorkerIdentity {
  return {
    workerId: e.WORKER_ID ?? `${kind}-${hostname()}-${process.pid}`,
    apiUrl: e.API_URL,
    webhookSecret: e.WEBHOOK_SECRET,
    spoolDir: e.SPOOL_DIR ? resolve(e.SPOOL_DIR) : join(dataDir, 'spool', kind),
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS,
  };
}

/**
 * The environment a worker embedded in the API reads: the API supplies where to report, the
 * secret and the data folder, and the queue and storage are the API's own (in-process, files).
 */
export function embeddedEnv(
  given: { apiUrl: string; webhookSecret: string; dataDir: string },
  env: EnvSource,
): EnvSource {
  return {
    ...env,
    API_URL: given.apiUrl,
    WEBHOOK_SECRET: given.webhookSecret,
    DATA_DIR: given.dataDir,
    QUEUE_DRIVER: 'in-process',
    STORAGE_DRIVER: 'fs',
  };
}
