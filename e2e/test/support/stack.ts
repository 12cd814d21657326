// The whole product on loopback: PostgreSQL (a fresh migrated database), RabbitMQ (a queue prefix
// of its own), S3 (s3rver in this process), and the three apps as child processes sharing them.
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { generateWebhookSecret } from '@stylelicense/contracts';
import type { Database } from '@stylelicense/db';
import { createTestDatabase, type TestDatabase } from '@stylelicense/db/testing';
import { createRabbitBroker } from '@stylelicense/queue';
import { createStorage, type ObjectStorage } from '@stylelicense/storage';
import { freePort, makeTempDir, requireService, testServices } from '@stylelicense/test-kit';
import S3rver from 's3rver';
import { startApp, stopApp, type AppProcess } from './processes';
import { waitFor } from './waiting';

export const AMQP_URL = testServices.rabbitmq.url;
export const WEB_ORIGIN = 'http://localhost:5173';
const SD_SCRIPTS_FIXTURE = fileURLToPath(new URL('../fixtures/sd-scripts', import.meta.url));
const START_TIMEOUT_MS = 60_000;

export interface Stack {
  apiUrl: string;
  /** The apps' database, read directly (the books at the end of the walk). */
  db: Database;
  /** The same bucket the apps use, read directly (what is really stored). */
  storage: ObjectStorage;
  apps: AppProcess[];
  /** Logs (one file per process), s3rver's files and the apps' data folders. */
  runDir: string;
  /** Stops everything; the run folder is kept when `keepRunDir` (a failed walk: its logs). */
  stop(options?: { keepRunDir?: boolean }): Promise<void>;
}

async function answers(url: string): Promise<true | undefined> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2_000) });
  return response.ok ? true : undefined;
}

/**
 * Starts everything; `stop()` undoes whatever was started, even after a partial start. The
 * inference worker starts before the training worker: it builds the synthetic `tiny` model on
 * first start, which is also the base model the stand-in trainer adapts.
 */
export async function startStack(): Promise<Stack> {
  await requireService(testServices.rabbitmq);
  await requireService(testServices.redis);
  const run = randomBytes(4).toString('hex');
  const { path: runDir, remove: removeRunDir } = await makeTempDir(`e2e-${run}`);
  const apps: AppProcess[] = [];
  const cleanups: (() => Promise<void>)[] = [];
  const stop = async () => {
    for (const cleanup of cleanups.reverse())
      await cleanup().catch((error: unknown) => console.warn('e2e cleanup:', error));
  };
  try {
    const s3 = new S3rver({ address: '127.0.0.1', port: 0, silent: true, directory: join(runDir, 's3') });
    const { port: s3Port } = await s3.run();
    cleanups.push(() => s3.close());
    const bucket = `sl-e2e-${run}`;
    const s3Env = {
      STORAGE_DRIVER: 's3',
      S3_ENDPOINT: `http://127.0.0.1:${s3Port}`,
      S3_BUCKET: bucket,
      S3_REGION: 'us-east-1',
      S3_ACCESS_KEY_ID: 'S3RVER',
      S3_SECRET_ACCESS_KEY: 'S3RVER',
      S3_FORCE_PATH_STYLE: 'true',
    };
    const storage = createStorage({
      driver: 's3',
      bucket,
      region: 'us-east-1',
      endpoint: s3Env.S3_ENDPOINT,
      forcePathStyle: true,
      credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' },
    });
    await storage.ensureBucket();

    const database: TestDatabase = await createTestDatabase({ poolSize: 2 });
    cleanups.push(() => database.drop());

    const queuePrefix = `e2e.${run}.`;
    cleanups.push(async () => {
      const janitor = await createRabbitBroker({ url: AMQP_URL, prefix: queuePrefix });
      await janitor.deleteTopology();
      await janitor.close();
    });
    const queueEnv = { QUEUE_DRIVER: 'rabbitmq', AMQP_URL, QUEUE_PREFIX: queuePrefix };
    const secrets = { training: generateWebhookSecret(), inference: generateWebhookSecret() };
    cleanups.push(async () => {
      await Promise.all(apps.map((app) => stopApp(app)));
    });

    const apiPort = await freePort();
    const apiUrl = `http://127.0.0.1:${apiPort}`;
    apps.push(
      startApp(
        'api',
        'api',
        {
          MODE: 'test',
          HOST: '127.0.0.1',
          PORT: String(apiPort),
          PUBLIC_URL: apiUrl,
          WEB_ORIGIN,
          LOG_LEVEL: 'info',
          DATABASE_URL: database.url,
          DATABASE_POOL_SIZE: '5',
          DATA_DIR: join(runDir, 'api'),
          ...queueEnv,
          ...s3Env,
          WEBHOOK_SECRET_TRAINING: secrets.training,
          WEBHOOK_SECRET_INFERENCE: secrets.inference,
          // Counted in Redis, as in production (loopback callers share one per-IP window).
          RATE_LIMIT_STORE: 'redis',
          HEALTH_DETAILS: 'true',
          REDIS_URL: testServices.redis.url,
          RATE_LIMIT_SIGN_IN: '100/60',
          RATE_LIMIT_ANONYMOUS: '1000/60',
          OUTBOX_POLL_INTERVAL_MS: '200',
          SHUTDOWN_GRACE_MS: '1000',
        },
        runDir,
      ),
    );
    await waitFor('the API to answer /api/ready', () => answers(`${apiUrl}/api/ready`), {
      apps,
      timeoutMs: START_TIMEOUT_MS,
    });

    const workerEnv = (name: 'training' | 'inference', healthPort: number) => ({
      LOG_LEVEL: 'info',
      DATA_DIR: join(runDir, name),
      WORKER_ID: `e2e-${name}-${run}`,
      ...queueEnv,
      ...s3Env,
      API_URL: apiUrl,
      WEBHOOK_SECRET: secrets[name],
      HEALTH_PORT: String(healthPort),
      HEALTH_HOST: '127.0.0.1',
      SHUTDOWN_GRACE_MS: '1000',
    });

    const inferenceHealth = await freePort();
    apps.push(
      startApp(
        'inference-worker',
        'inference-worker',
        { ...workerEnv('inference', inferenceHealth), EXECUTION_PROVIDER: 'cpu', JOB_TIMEOUT_MS: '60000' },
        runDir,
      ),
    );
    await waitFor(
      'the inference worker to answer /health',
      () => answers(`http://127.0.0.1:${inferenceHealth}/health`),
      {
        apps,
        timeoutMs: START_TIMEOUT_MS,
      },
    );

    const trainingHealth = await freePort();
    apps.push(
      startApp(
        'training-worker',
        'training-worker',
        {
          ...workerEnv('training', trainingHealth),
          TRAINER_ENGINE: 'kohya',
          KOHYA_PYTHON: join(SD_SCRIPTS_FIXTURE, 'python'),
          KOHYA_SCRIPTS_DIR: SD_SCRIPTS_FIXTURE,
          // The inference worker's default model, written on its first start (above).
          BASE_MODEL_PATH: join(runDir, 'inference', 'models', 'tiny'),
          JOB_TIME_LIMIT_MS: '60000',
          PROGRESS_INTERVAL_MS: '300',
          PROGRESS_HEARTBEAT_MS: '1000',
        },
        runDir,
      ),
    );
    await waitFor(
      'the training worker to answer /health',
      () => answers(`http://127.0.0.1:${trainingHealth}/health`),
      {
        apps,
        timeoutMs: START_TIMEOUT_MS,
      },
    );

    return {
      apiUrl,
      db: database.db,
      storage,
      apps,
      runDir,
      async stop({ keepRunDir = false } = {}) {
        await stop();
        if (!keepRunDir) await removeRunDir();
      },
    };
  } catch (error) {
    // Keep runDir: the logs explain what failed.
    await stop();
    throw error;
  }
}
