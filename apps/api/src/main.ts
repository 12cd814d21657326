// Production / compose entry: external PostgreSQL (migrations are applied by `pnpm db:migrate`).
import { createDatabase } from '@stylelicense/db';
import { loadConfig } from './env';
import { createLogger } from './logger';
import { startApi, stopOnSignals } from './runtime';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL);
const db = createDatabase({ url: config.DATABASE_URL!, poolSize: config.DATABASE_POOL_SIZE });
const runtime = await startApi({ config, db, log });
stopOnSignals(runtime, log);
log.info({ url: runtime.http.url, mode: config.MODE }, 'Style License API listening');
