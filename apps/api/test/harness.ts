import { createTestDatabase, type TestDatabase } from '@stylelicense/db/testing';
import { freePort, makeTempDir } from '@stylelicense/test-kit';
import { loadConfig, type ApiConfig } from '../src/env';
import { createLogger } from '../src/logger';
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
