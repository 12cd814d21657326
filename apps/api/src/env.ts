import { isIP } from 'node:net';
import { fileURLToPath } from 'node:url';
import { generateWebhookSecret, parseWebhookSecret } from '@stylelicense/contracts';
import { z } from 'zod';

/** Repository root's `.data/`, where the embedded default keeps everything. */
const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../../.data', import.meta.url));
/** apps/web's build output, found by path so the API never imports the web workspace. */
const DEFAULT_WEB_DIST_DIR = fileURLToPath(new URL('../../web/dist', import.meta.url));

const booleanish = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

/** A rate limit written "count/seconds", e.g. "5/300" = five per five minutes. */
const rateLimit = z
  .string()
  .regex(/^\d+\/\d+$/, 'expected "count/seconds", e.g. 5/300')
  .transform((value) => {
    const [limit, seconds] = value.split('/').map(Number) as [number, number];
    return { limit, windowMs: seconds * 1000 };
  })
  .refine((rule) => rule.limit >= 1 && rule.windowMs >= 1000, 'count ≥ 1 and seconds ≥ 1');

/** Webhook secrets "whsec_…", comma-separated while one is being rotated. */
const webhookSecrets = z
  .string()
  .transform((value) =>
    value
      .split(',')
      .map((secret) => secret.trim())
      .filter(Boolean),
  )
  .refine(
    (secrets) => secrets.length > 0 && secrets.every((secret) => isWebhookSecret(secret)),
    'expected whsec_<base64 of 24–64 bytes>[,…]',
  );

function isWebhookSecret(secret: string): boolean {
  try {
    parseWebhookSecret(secret);
    return true;
  } catch {
    return false;
  }
}

/** A comma-separated list; blanks dropped. */
const commaList = z.string().transform((value) =>
  value
    .split(',')
    .map((item) => item.trim())
    .filter(Boolean),
);

/**
 * The proxies whose X-Forwarded-For is believed for the caller's address (per-IP rate limits, sign-in
 * records): a hop count ("1": the nearest one) or addresses and CIDR ranges ("10.0.0.0/8,::1").
 * Unset trusts none: the address is the TCP peer's, whatever a header claims.
 */
const trustProxy = z
  .string()
  .trim()
  .transform((value): number | string[] => {
    if (/^\d+$/.test(value)) return Number(value);
    return value
      .split(',')
      .map((entry) => entry.trim())
      .filter(Boolean);
  })
  .refine(
    (trusted) => typeof trusted === 'number' || (trusted.length > 0 && trusted.every(isAddressOrCidr)),
    'expected a hop count (e.g. 1) or comma-separated addresses/CIDRs (e.g. 10.0.0.0/8,::1)',
  );

function isAddressOrCidr(entry: string): boolean {
  const [address = '', prefix, extra] = entry.split('/');
  const version = isIP(address);
  if (version === 0 || extra !== undefined) return false;
  if (prefix === undefined) return true;
  return /^\d+$/.test(prefix) && Number(prefix) <= (version === 4 ? 32 : 128);
}

/** Milliseconds, comma-separated, e.g. "30000,120000". */
const delayList = z
  .string()
  .regex(/^\d+(,\d+)*$/, 'expected comma-separated milliseconds, e.g. 30000,120000')
  .transform((value) => value.split(',').map(Number));

/**
 * The API's whole configuration, read from the environment once and validated. Nothing else in
 * the app reads `process.env` (enforced by ESLint).
 */
export const configSchema = z.object({
  /** embedded: one process on PGlite + in-process parts; development/production: external services. */
  MODE: z.enum(['embedded', 'development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  /** Default 127.0.0.1 when MODE=embedded (dev sign-in on, nothing shared), else 0.0.0.0. */
  HOST: z.string().min(1).optional(),
  TRUST_PROXY: trustProxy.optional(),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().default(DEFAULT_DATA_DIR),
  /** Where the web app lives: OAuth redirects land there and CSRF checks trust it (default PUBLIC_URL). */
  WEB_ORIGIN: z.string().url().optional(),
  /** The built web app (index.html + assets) served at `/` in embedded and production mode. */
  WEB_DIST_DIR: z.string().default(DEFAULT_WEB_DIST_DIR),
  /** This API's own public URL (OAuth callback, presigned filesystem URLs). */
  PUBLIC_URL: z.string().url().optional(),

  // Sessions and sign-in.
  SESSION_TTL_DAYS: z.coerce.number().int().min(1).max(365).default(30),
  /**
   * Seconds a session checked against the database is trusted from memory on members' catalogue,
   * feed and search pages (0 = always read). Changes reach every instance at once by NOTIFY; not in
   * embedded mode (PGlite cannot LISTEN beside the pool).
   */
  SESSION_CHECK_CACHE_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
  GOOGLE_CLIENT_ID: z.string().min(1).optional(),
  GOOGLE_CLIENT_SECRET: z.string().min(1).optional(),
  /** Google's endpoints; overridable so tests can point them at a loopback server. */
  GOOGLE_AUTHORIZATION_URL: z.string().url().default('https://accounts.google.com/o/oauth2/v2/auth'),
  GOOGLE_TOKEN_URL: z.string().url().default('https://oauth2.googleapis.com/token'),

  // Object storage: the filesystem driver under DATA_DIR/storage (embedded default) or S3.
  STORAGE_DRIVER: z.enum(['fs', 's3']).default('fs'),
  /** HMAC key (≥ 32 bytes) for the filesystem driver's presigned URLs; random per process if unset outside production. */
  STORAGE_SIGNING_SECRET: z.string().min(32).optional(),
  S3_ENDPOINT: z.string().url().optional(),
  /** The S3 endpoint browsers reach when it differs from S3_ENDPOINT (compose). */
  S3_PUBLIC_ENDPOINT: z.string().url().optional(),
  S3_BUCKET: z.string().min(3).optional(),
  S3_REGION: z.string().default('us-east-1'),
  S3_ACCESS_KEY_ID: z.string().min(1).optional(),
  S3_SECRET_ACCESS_KEY: z.string().min(1).optional(),
  S3_FORCE_PATH_STYLE: booleanish.default(false),

  // Payments: Toss Payments in production, a local sandbox checkout elsewhere by default.
  PAYMENT_PROVIDER: z.enum(['toss', 'sandbox']).optional(),
  TOSS_CLIENT_KEY: z.string().min(1).optional(),
  TOSS_SECRET_KEY: z.string().min(1).optional(),
  TOSS_API_BASE_URL: z.string().url().default('https://api.tosspayments.com'),

  // Rate limits ("count/seconds", sliding window), shared through Redis across instances.
  RATE_LIMIT_STORE: z.enum(['memory', 'redis']).optional(),
  REDIS_URL: z.string().default('redis://127.0.0.1:6379'),
  RATE_LIMIT_SIGN_IN: rateLimit.prefault('5/300'),
  RATE_LIMIT_GENERATION: rateLimit.prefault('6/60'),
  RATE_LIMIT_USER: rateLimit.prefault('100/60'),
  RATE_LIMIT_ANONYMOUS: rateLimit.prefault('50/60'),
  SEED_DEMO_DATA: booleanish.optional(),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /** Styles one artist may own (the original's MVP limit was 1); 0 = unlimited. */
  STYLE_LIMIT_PER_ARTIST: z.coerce.number().int().min(0).default(0),
  /** Diffusion settings every generation job carries. */
  GENERATION_STEPS: z.coerce.number().int().min(1).max(150).default(30),
  GENERATION_GUIDANCE: z.coerce.number().min(0).max(30).default(7.5),
  /** Seconds anonymous catalogue, feed and search pages are served from memory (0 = always read). */
  PUBLIC_CACHE_SECONDS: z.coerce.number().min(0).max(300).default(5),
  /** /api/ready and /trpc/health show probe details (versions, drivers, errors) to anyone; else a bare status (admins still see /trpc/health's). */
  HEALTH_DETAILS: booleanish.default(false),
  /** Prometheus `/metrics` on a port of its own (unset: not served; never on the public PORT). */
  METRICS_PORT: z.coerce.number().int().min(0).max(65535).optional(),
  METRICS_HOST: z.string().default('127.0.0.1'),
  /** How often read notifications older than 30 days, orphaned uploads and expired idempotency keys are purged. */
  HOUSEKEEPING_INTERVAL_MS: z.coerce
    .number()
    .int()
    .min(1000)
    .default(60 * 60 * 1000),
  /** How long a REST v1 write's Idempotency-Key (and its stored answer) replays. */
  IDEMPOTENCY_KEY_TTL_HOURS: z.coerce
    .number()
    .int()
    .min(1)
    .max(24 * 30)
    .default(24),

  // Job pipeline: broker, outbox relay, worker webhooks.
  /** rabbitmq in production; in-process (the embedded default) when no AMQP_URL is given. */
  QUEUE_DRIVER: z.enum(['rabbitmq', 'in-process']).optional(),
  AMQP_URL: z
    .string()
    .regex(/^amqps?:\/\//, 'expected amqp://user:pass@host:5672/vhost')
    .optional(),
  /** Prepended to every queue and exchange name (several deployments or test runs on one broker). */
  QUEUE_PREFIX: z
    .string()
    .regex(/^[\w.-]*$/)
    .default(''),
  OUTBOX_POLL_INTERVAL_MS: z.coerce.number().int().min(10).default(1_000),
  OUTBOX_BATCH_SIZE: z.coerce.number().int().min(1).max(5_000).default(500),
  /** One secret per source; random per process outside production (embedded workers get it in-process). */
  WEBHOOK_SECRET_TRAINING: webhookSecrets.optional(),
  WEBHOOK_SECRET_INFERENCE: webhookSecrets.optional(),
  /** Wait before generation attempt 2, 3, …: attempt 1 starts at once, so 0 s / 30 s / 120 s; attempts = delays + 1. */
  GENERATION_RETRY_DELAYS_MS: delayList.default([30_000, 120_000]),
  /** A training style silent this long has lost its worker (jobs are acked on claim): it is sent again or failed. */
  TRAINING_LEASE_SECONDS: z.coerce.number().int().min(30).default(300),

  // Trust and safety.
  /** Terms a generation prompt may not use (tags and description; whole words, any case). */
  PROMPT_REFUSED_TERMS: commaList.default([]),
  /** Ed25519 public keys (SPKI DER, base64) whose manifests verify as ours; several while rotating. */
  PROVENANCE_PUBLIC_KEYS: commaList.optional(),
  /** Ed25519 private key (PKCS#8 DER, base64) the embedded mode signs with (demo images, in-process worker). */
  PROVENANCE_PRIVATE_KEY: z.string().min(1).optional(),
});

export type ApiConfig = Omit<z.infer<typeof configSchema>, 'HOST' | 'TRUST_PROXY'> & {
  HOST: string;
  /** Express's `trust proxy`: false (none), a hop count, or addresses/CIDRs. */
  TRUST_PROXY: false | number | string[];
  PUBLIC_URL: string;
  WEB_ORIGIN: string;
  PAYMENT_PROVIDER: 'toss' | 'sandbox';
  RATE_LIMIT_STORE: 'memory' | 'redis';
  QUEUE_DRIVER: 'rabbitmq' | 'in-process';
  WEBHOOK_SECRET_TRAINING: string[];
  WEBHOOK_SECRET_INFERENCE: string[];
};

export function loadConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((issue) => `  ${issue.path.join('.')}: ${issue.message}`)
      .join('\n');
    throw new Error(`Invalid configuration:\n${problems}`);
  }
  const config = parsed.data;
  if (config.MODE !== 'embedded' && !config.DATABASE_URL) {
    throw new Error('Invalid configuration:\n  DATABASE_URL: required unless MODE=embedded');
  }
  const production = config.MODE === 'production';
  const paymentProvider = config.PAYMENT_PROVIDER ?? (production ? 'toss' : 'sandbox');
  const queueDriver = config.QUEUE_DRIVER ?? (config.AMQP_URL ? 'rabbitmq' : 'in-process');
  const missing = [
    ...(queueDriver === 'rabbitmq' && !config.AMQP_URL ? ['AMQP_URL (QUEUE_DRIVER=rabbitmq)'] : []),
    ...(production && queueDriver === 'in-process'
      ? ['AMQP_URL (the in-process queue is refused in production)']
      : []),
    ...(production && !config.WEBHOOK_SECRET_TRAINING ? ['WEBHOOK_SECRET_TRAINING (production)'] : []),
    ...(production && !config.WEBHOOK_SECRET_INFERENCE ? ['WEBHOOK_SECRET_INFERENCE (production)'] : []),
    ...(paymentProvider === 'toss' && !config.TOSS_SECRET_KEY
      ? ['TOSS_SECRET_KEY (PAYMENT_PROVIDER=toss)']
      : []),
    ...(paymentProvider === 'toss' && !config.TOSS_CLIENT_KEY
      ? ['TOSS_CLIENT_KEY (PAYMENT_PROVIDER=toss)']
      : []),
    ...(config.STORAGE_DRIVER === 's3' && !config.S3_BUCKET ? ['S3_BUCKET (STORAGE_DRIVER=s3)'] : []),
    ...(production && config.STORAGE_DRIVER === 'fs' && !config.STORAGE_SIGNING_SECRET
      ? ['STORAGE_SIGNING_SECRET (production)']
      : []),
    ...(production && !config.PROVENANCE_PUBLIC_KEYS?.length ? ['PROVENANCE_PUBLIC_KEYS (production)'] : []),
    ...(production && paymentProvider === 'sandbox'
      ? ['PAYMENT_PROVIDER=toss (the sandbox is refused in production)']
      : []),
  ];
  if (missing.length)
    throw new Error(`Invalid configuration:\n${missing.map((m) => `  ${m}: required`).join('\n')}`);
  const publicUrl = config.PUBLIC_URL ?? `http://localhost:${config.PORT}`;
  return {
    ...config,
    HOST: config.HOST ?? (config.MODE === 'embedded' ? '127.0.0.1' : '0.0.0.0'),
    TRUST_PROXY: config.TRUST_PROXY ?? false,
    PUBLIC_URL: publicUrl,
    // The API serves the web app itself: its own URL is trusted too (CSRF checks both).
    WEB_ORIGIN: config.WEB_ORIGIN ?? 'http://localhost:3000',
    PAYMENT_PROVIDER: paymentProvider,
    RATE_LIMIT_STORE:
      config.RATE_LIMIT_STORE ?? (config.MODE === 'embedded' || config.MODE === 'test' ? 'memory' : 'redis'),
    QUEUE_DRIVER: queueDriver,
    WEBHOOK_SECRET_TRAINING: config.WEBHOOK_SECRET_TRAINING ?? [generateWebhookSecret()],
    WEBHOOK_SECRET_INFERENCE: config.WEBHOOK_SECRET_INFERENCE ?? [generateWebhookSecret()],
  };
}

/** The environment with some variables fixed by the entry point (e.g. MODE=embedded). */
export function loadConfigWith(overrides: Record<string, string>): ApiConfig {
  return loadConfig({ ...process.env, ...overrides });
}
