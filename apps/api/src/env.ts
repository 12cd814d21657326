import { fileURLToPath } from 'node:url';
import { z } from 'zod';

/** Repository root's `.data/`, where the embedded default keeps everything. */
const DEFAULT_DATA_DIR = fileURLToPath(new URL('../../../.data', import.meta.url));

const booleanish = z
  .enum(['true', 'false', '1', '0'])
  .transform((value) => value === 'true' || value === '1');

/**
 * The API's whole configuration, read from the environment once and validated. Nothing else in
 * the app reads `process.env` (enforced by ESLint).
 */
export const configSchema = z.object({
  /** embedded: one process on PGlite + in-process parts; development/production: external services. */
  MODE: z.enum(['embedded', 'development', 'production', 'test']).default('development'),
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  HOST: z.string().default('0.0.0.0'),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().url().optional(),
  DATABASE_POOL_SIZE: z.coerce.number().int().min(1).max(200).default(10),
  DATA_DIR: z.string().default(DEFAULT_DATA_DIR),
  /** Where the web app lives: OAuth redirects land there and CSRF checks trust it. */
  WEB_ORIGIN: z.string().url().default('http://localhost:3000'),
  /** This API's own public URL (OAuth callback, presigned filesystem URLs). */
  PUBLIC_URL: z.string().url().optional(),
  SEED_DEMO_DATA: booleanish.optional(),
  SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(10_000),
  /** Styles one artist may own (the original's MVP limit was 1); 0 = unlimited. */
  STYLE_LIMIT_PER_ARTIST: z.coerce.number().int().min(0).default(0),
  /** Diffusion settings every generation job carries. */
  GENERATION_STEPS: z.coerce.number().int().min(1).max(150).default(30),
  GENERATION_GUIDANCE: z.coerce.number().min(0).max(30).default(7.5),
  /** How often read notifications older than 30 days and orphaned uploads are purged. */
  HOUSEKEEPING_INTERVAL_MS: z.coerce.number().int().min(1000).default(60 * 60 * 1000),
});

export type ApiConfig = z.infer<typeof configSchema> & { PUBLIC_URL: string };

export function loadConfig(env: Record<string, string | undefined> = process.env): ApiConfig {
  const parsed = configSchema.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `  ${issue.path.join('.')}: ${issue.message}`).join('\n');
    throw new Error(`Invalid configuration:\n${problems}`);
  }
  const config = parsed.data;
  if (config.MODE !== 'embedded' && !config.DATABASE_URL) {
    throw new Error('Invalid configuration:\n  DATABASE_URL: required unless MODE=embedded');
  }
  return { ...config, PUBLIC_URL: config.PUBLIC_URL ?? `http://localhost:${config.PORT}` };
}

/** The environment with some variables fixed by the entry point (e.g. MODE=embedded). */
export function loadConfigWith(overrides: Record<string, string>): ApiConfig {
  return loadConfig({ ...process.env, ...overrides });
}
