// The standalone training worker: `node dist/main.js` (Docker) or `pnpm --filter @stylelicense/training-worker dev`.
import { createStorage } from '@stylelicense/storage';
import { connectBroker, startHealthServer, stopOnSignals } from '@stylelicense/worker-runtime';
import { loadSettings } from './env';
import { createLogger } from './logger';
import { startTrainingWorker } from './start';

const settings = loadSettings();
const log = createLogger(settings.logLevel);

const broker = await connectBroker(settings.broker, settings.worker.workerId, log);
const storage = createStorage(settings.storage);
await storage.ensureBucket();
const worker = await startTrainingWorker({ broker, storage, config: settings.worker, log });
const health = await startHealthServer(worker, settings.health.port, settings.health.host);
log.info({ health: `${health.url}/health`, engine: worker.engine }, 'training worker ready');

// Finishes or hands back the job in hand (see TrainingWorker.stop), then disconnects.
stopOnSignals({ worker, broker, health }, log);
