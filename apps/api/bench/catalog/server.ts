// The API as its own process for the catalogue benchmark (so the load generator does not share its
// event loop). Configured by the environment like production; prints its URL on stdout.
import { createDatabase } from '@stylelicense/db';
import { loadConfig } from '../../src/env';
import { createLogger } from '../../src/logger';
import { startApi, stopOnSignals } from '../../src/runtime';

const config = loadConfig();
const log = createLogger(config.LOG_LEVEL);
const db = createDatabase({ url: config.DATABASE_URL!, poolSize: config.DATABASE_POOL_SIZE });
const runtime = await startApi({ config, db, log });
stopOnSignals(runtime, log);
console.log(`LISTENING ${runtime.http.url}`);
