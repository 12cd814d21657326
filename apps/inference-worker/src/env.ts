import { join, resolve } from 'node:path';
import {
  embeddedEnv,
  parseWorkerEnv,
  processSettingsFromEnv,
  workerEnvFields,
  workerIdentityFromEnv,
  type EnvSource,
  type WorkerProcessSettings,
} from '@stylelicense/worker-runtime';
import { provenanceSigner } from '@stylelicense/imaging';
import { z } from 'zod';
import type { InferenceWorkerConfig } from './config';

/**
 * The standalone worker's whole configuration, read from the environment once and validated.
 * Nothing else in the app reads `process.env` (enforced by ESLint). The queue, reporting, storage,
 * health and logging variables are the ones every worker shares (`workerEnvFields`).
 */
export const envSchema = z.object({
  ...workerEnvFields({ healthPort: 8081 }),

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
  /** Styles run as runtime inputs of one UNet session, their factors zero-padded to this rank. */
  LORA_MAX_RANK: z.coerce.number().int().min(1).max(1024).default(64),
  LORA_MEMORY_MB: z.coerce.number().int().min(1).default(1024),
  /** Jobs held at once; concurrent jobs of the same size and steps share UNet calls (any styles). */
  JOB_PREFETCH: z.coerce.number().int().min(1).max(32).default(1),
  BATCH_WINDOW_MS: z.coerce.number().int().min(0).max(1000).default(2),
  OUTPUT_FORMAT: z.enum(['png', 'webp']).default('png'),
  JOB_TIMEOUT_MS: z.coerce.number().int().min(1000).default(300_000),
  /** The API trusts its public half (PROVENANCE_PUBLIC_KEYS); unset = the development key under DATA_DIR. */
  PROVENANCE_PRIVATE_KEY: z
    .string()
    .min(1)
    .refine((key) => {
      try {
        provenanceSigner(key);
        return true;
      } catch {
        return false;
      }
    }, 'expected an Ed25519 private key, PKCS#8 DER as base64')
    .optional(),
});

export type WorkerEnv = z.output<typeof envSchema>;

export type ProcessSettings = WorkerProcessSettings<InferenceWorkerConfig>;

/** Steps the synthetic `tiny` model runs when nothing else is configured: it is a smoke model, not art. */
export const TINY_MODEL_STEPS = 4;

export function loadSettings(env: EnvSource = process.env): ProcessSettings {
  const e = parseWorkerEnv(envSchema, env);
  const dataDir = resolve(e.DATA_DIR);
  return {
    worker: {
      ...workerIdentityFromEnv(e, dataDir, 'inference'),
      dataDir,
      modelDir: e.MODEL_DIR ? resolve(e.MODEL_DIR) : undefined,
      provider:
        e.EXECUTION_PROVIDER === 'cuda'
          ? { provider: 'cuda', deviceId: e.CUDA_DEVICE_ID }
          : { provider: 'cpu' },
      sessionCacheBytes: e.SESSION_CACHE_MB * 1024 ** 2,
      steps: e.STEPS ?? (e.MODEL_DIR ? undefined : TINY_MODEL_STEPS),
      guidance: e.GUIDANCE,
      loraStrength: e.LORA_STRENGTH,
      loraCacheDir: e.LORA_CACHE_DIR ? resolve(e.LORA_CACHE_DIR) : join(dataDir, 'cache', 'inference-lora'),
      loraCacheBytes: e.LORA_CACHE_MB * 1024 ** 2,
      loraMaxRank: e.LORA_MAX_RANK,
      loraMemoryBytes: e.LORA_MEMORY_MB * 1024 ** 2,
      prefetch: e.JOB_PREFETCH,
      batchWindowMs: e.BATCH_WINDOW_MS,
      outputFormat: e.OUTPUT_FORMAT,
      jobTimeoutMs: e.JOB_TIMEOUT_MS,
      ...(e.PROVENANCE_PRIVATE_KEY ? { provenanceKey: e.PROVENANCE_PRIVATE_KEY } : {}),
    },
    ...processSettingsFromEnv(e, dataDir),
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
  return loadSettings(embeddedEnv(given, env)).worker;
}
