// `pnpm start`: the whole product in one process on embedded defaults — PGlite under .data/,
// migrations applied, demo data seeded on first start. Same Prisma client and migrations as production.
import { join } from 'node:path';
import { createDatabase, migrate, seedDemoData, startEmbeddedPostgres } from '@stylelicense/db';
import { prepareEmbeddedDemo } from './demo';
import { requeueUnfinishedJobs, startEmbeddedWorkers } from './workers';
import { loadConfigWith } from '../env';
import { createLogger } from '../logger';
import { startApi, stopOnSignals } from '../runtime';

const config = loadConfigWith({ MODE: 'embedded' });
const log = createLogger(config.LOG_LEVEL);
const postgres = await startEmbeddedPostgres({ dataDir: join(config.DATA_DIR, 'postgres') });
const migrations = await migrate(postgres.url, { log: (line) => log.info(line) });
const db = createDatabase({ url: postgres.url, poolSize: 1, sharedSession: true });
if (config.SEED_DEMO_DATA !== false) {
  const seeded = await seedDemoData(db);
  if (seeded) log.info(seeded, 'seeded demo data');
}
const runtime = await startApi({ config, db, log, onClosed: () => postgres.stop() });
// The seed writes rows only: the files they name (signatures, LoRAs, covers, results) are written
// now, before the workers start; on later starts this only checks they are still there.
if (config.SEED_DEMO_DATA !== false) {
  await prepareEmbeddedDemo({
    db,
    storage: runtime.deps.storage,
    apiUrl: runtime.http.url,
    webhookSecrets: {
      training: config.WEBHOOK_SECRET_TRAINING[0]!,
      inference: config.WEBHOOK_SECRET_INFERENCE[0]!,
    },
    dataDir: config.DATA_DIR,
    log,
  }).catch((error: unknown) =>
    log.error({ err: error }, 'demo assets could not be written; demo images and styles may not work'),
  );
}
// The in-process queue starts empty: unfinished jobs from the last run are published again.
const requeued = await requeueUnfinishedJobs(db);
if (requeued > 0) {
  log.info({ requeued }, 'requeued unfinished jobs');
  runtime.deps.outbox.wake();
}
const workers = await startEmbeddedWorkers({
  broker: runtime.deps.broker,
  apiUrl: runtime.http.url,
  webhookSecrets: {
    training: config.WEBHOOK_SECRET_TRAINING[0]!,
    inference: config.WEBHOOK_SECRET_INFERENCE[0]!,
  },
  storage: runtime.deps.storage,
  dataDir: config.DATA_DIR,
  log,
});
// Workers first: they finish or hand back their jobs while the API can still take their reports.
async function stopEverything(): Promise<void> {
  await Promise.all(workers.map((worker) => worker.stop()));
  await runtime.stop();
}
stopOnSignals({ ...runtime, stop: stopEverything }, log);
log.info({ migrations: migrations.applied.length }, 'embedded database ready');
console.log(
  `\n  Style License is running at ${runtime.http.url}\n  Ready check: ${runtime.http.url}/api/ready\n`,
);
