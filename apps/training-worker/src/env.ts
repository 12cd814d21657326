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
import { z } from 'zod';
import type { TrainerSettings, TrainingWorkerConfig } from './config';

/**
 * The standalone worker's whole configuration, read from the environment once and validated.
 * Nothing else in the app reads `process.env` (enforced by ESLint). The queue, reporting, storage,
 * health and logging variables are the ones every worker shares (`workerEnvFields`).
 */
export const envSchema = z.object({
  ...workerEnvFields({ healthPort: 8082 }),

  // Training.
  TRAINER_ENGINE: z.enum(['none', 'onnx', 'kohya']).default('onnx'),
  MODEL_DIR: z.string().min(1).optional(),
  TRAIN_RESOLUTION: z.coerce.number().int().min(64).max(2048).multipleOf(16).optional(),
  TRAIN_MAX_STEPS: z.coerce.number().int().min(1).max(100_000).optional(),
  TRAIN_SAMPLE_STEPS: z.coerce.number().int().min(0).max(150).default(20),
  // The onnx engine's sessions (encoding, training, epoch samples): cuda on GPU hosts, never a silent CPU fallback.
  EXECUTION_PROVIDER: z.enum(['cpu', 'cuda']).default('cpu'),
  CUDA_DEVICE_ID: z.coerce.number().int().min(0).default(0),
  KOHYA_PYTHON: z.string().min(1).default('/opt/sd-scripts/venv/bin/python'),
  KOHYA_SCRIPTS_DIR: z.string().min(1).default('/opt/sd-scripts'),
  BASE_MODEL_PATH: z.string().min(1).optional(),
  CUDA_VISIBLE_DEVICES: z
    .string()
    .regex(/^[\w,-]+$/)
    .optional(),
  JOB_TIME_LIMIT_MS: z.coerce
    .number()
    .int()
    .min(10_000)
    .default(2 * 60 * 60 * 1000),
  WORK_DIR: z.string().optional(),
  PROGRESS_HEARTBEAT_MS: z.coerce.number().int().min(1_000).max(30_000).default(20_000),
  PROGRESS_INTERVAL_MS: z.coerce.number().int().min(0).max(30_000).default(5_000),
});

export type WorkerEnv = z.output<typeof envSchema>;

const TINY_MODEL_MAX_STEPS = 300;

export type ProcessSettings = WorkerProcessSettings<TrainingWorkerConfig>;

// What the trainer process inherits: the system and ML library settings it needs, none of the
// worker's credentials (AMQP_URL, WEBHOOK_SECRET, S3_* stay out of its reach and its logs).
const TRAINER_ENV_NAMES = new Set([
  'PATH',
  'HOME',
  'USER',
  'LANG',
  'LC_ALL',
  'TZ',
  'TMPDIR',
  'LD_LIBRARY_PATH',
  'XDG_CACHE_HOME',
]);
const TRAINER_ENV_PREFIXES = [
  'HF_',
  'TRANSFORMERS_',
  'TORCH_',
  'PYTORCH_',
  'CUDA_',
  'NVIDIA_',
  'NCCL_',
  'BITSANDBYTES_',
  'OMP_',
  'MKL_',
];

export function trainerEnvironment(env: Record<string, string | undefined>): Record<string, string> {
  const picked: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) continue;
    if (TRAINER_ENV_NAMES.has(name) || TRAINER_ENV_PREFIXES.some((prefix) => name.startsWith(prefix)))
      picked[name] = value;
  }
  // Hugging Face libraries must never try the network at training time (no weights are fetched).
  picked.HF_HUB_OFFLINE ??= '1';
  return picked;
}

export function loadSettings(env: EnvSource = process.env): ProcessSettings {
  const e = parseWorkerEnv(envSchema, env, (e) =>
    e.TRAINER_ENGINE === 'kohya' && !e.BASE_MODEL_PATH ? ['BASE_MODEL_PATH (TRAINER_ENGINE=kohya)'] : [],
  );
  const dataDir = resolve(e.DATA_DIR);
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
      : e.TRAINER_ENGINE === 'onnx'
        ? {
            engine: 'onnx',
            modelDir: e.MODEL_DIR ? resolve(e.MODEL_DIR) : undefined,
            dataDir,
            // The synthetic tiny model trains at 64 px in a few hundred steps: about a minute on two cores.
            resolution: e.TRAIN_RESOLUTION ?? (e.MODEL_DIR ? 512 : 64),
            maxSteps: e.TRAIN_MAX_STEPS ?? (e.MODEL_DIR ? undefined : TINY_MODEL_MAX_STEPS),
            sampleSteps: e.TRAIN_SAMPLE_STEPS,
            provider:
              e.EXECUTION_PROVIDER === 'cuda'
                ? { provider: 'cuda', deviceId: e.CUDA_DEVICE_ID }
                : { provider: 'cpu' },
          }
        : { engine: 'none' };

  return {
    worker: {
      ...workerIdentityFromEnv(e, dataDir, 'training'),
      workDir: e.WORK_DIR ? resolve(e.WORK_DIR) : join(dataDir, 'work', 'training'),
      trainer,
      jobTimeLimitMs: e.JOB_TIME_LIMIT_MS,
      progressHeartbeatMs: e.PROGRESS_HEARTBEAT_MS,
      progressIntervalMs: e.PROGRESS_INTERVAL_MS,
      maxAttempts: 3,
    },
    ...processSettingsFromEnv(e, dataDir),
  };
}

/**
 * The worker's configuration inside the embedded API: the API supplies where to report, the
 * secret and the data folder; the training settings (TRAINER_ENGINE, default `onnx`, …) still
 * come from the environment.
 */
export function embeddedWorkerConfig(
  given: { apiUrl: string; webhookSecret: string; dataDir: string },
  env: Record<string, string | undefined> = process.env,
): TrainingWorkerConfig {
  return loadSettings(embeddedEnv(given, env)).worker;
}
