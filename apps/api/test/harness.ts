import { createTestDatabase, type TestDatabase } from '@stylelicense/db/testing';
import { freePort, makeTempDir } from '@stylelicense/test-kit';
import { loadConfig, type ApiConfig } from '../src/env';
import { createLogger } from '../src/logger';
import { startEmbeddedWorkers, type EmbeddedWorker } from '../src/embedded/workers';
import { startApi, type ApiRuntime } from '../src/runtime';

export interface TestApi {
  runtime: ApiRuntime;
  database: TestDatabase;
  url: string;
  config: ApiConfig;
  stop(): Promise<void>;
}

/** The real API on a fresh migrated PostgreSQL database, listening on a free loopback port. */
export async function startTestApi(overrides: Record<string, string> = {}): Promise<TestApi> {
  const database = await createTestDatabase();
  // A known port up front, so URLs built from PUBLIC_URL (presigned storage, OAuth callback) work.
  const port = await freePort();
  const dataDir = await makeTempDir('api-test');
  const config = loadConfig({
    MODE: 'test',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    DATA_DIR: dataDir.path,
    HOST: '127.0.0.1',
    LOG_LEVEL: process.env.TEST_LOG_LEVEL ?? 'silent',
    DATABASE_URL: database.url,
    ...overrides,
  });
  const runtime = await startApi({ config, db: database.db, log: createLogger(config.LOG_LEVEL) });
  return {
    runtime,
    database,
    url: runtime.http.url,
    config,
    async stop() {
      await runtime.stop();
      await database.drop();
      await dataDir.remove();
    },
  };
}

/**
 * Worker apps attached to a test API the way the embedded server attaches them: on its broker and
 * storage, reporting to its URL with its webhook secrets. `modules` as `startEmbeddedWorkers` takes
 * them (default: the real training and inference workers).
 */
export function attachEmbeddedWorkers(api: TestApi, modules?: string[]): Promise<EmbeddedWorker[]> {
  const { config, runtime } = api;
  return startEmbeddedWorkers(
    {
      broker: runtime.deps.broker,
      apiUrl: api.url,
      webhookSecrets: {
        training: config.WEBHOOK_SECRET_TRAINING[0]!,
        inference: config.WEBHOOK_SECRET_INFERENCE[0]!,
      },
      storage: runtime.deps.storage,
      dataDir: config.DATA_DIR,
      log: createLogger('silent'),
    },
    modules,
  );
}
