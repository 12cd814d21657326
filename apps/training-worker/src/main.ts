// The standalone training worker: `node dist/main.js` (Docker) or `pnpm --filter @stylelicense/training-worker dev`.
import { createInProcessBroker, createRabbitBroker, type Broker } from '@stylelicense/queue';
import { createStorage } from '@stylelicense/storage';
import { loadSettings } from './env';
import { startHealthServer } from './health';
import { createLogger } from './logger';
import { startTrainingWorker } from './start';

const settings = loadSettings();
const log = createLogger(settings.logLevel);

async function connectBroker(): Promise<Broker> {
  if (settings.broker.driver === 'in-process') {
    log.warn({}, 'QUEUE_DRIVER=in-process: this process only sees jobs published inside it (set AMQP_URL)');
    return createInProcessBroker({ prefix: settings.broker.prefix });
  }
  return createRabbitBroker({
    url: settings.broker.url!,
    prefix: settings.broker.prefix,
    connectionName: settings.worker.workerId,
    onEvent: (event) =>
      event.type === 'connected' ? log.info({}, 'broker connected') : log.warn({ broker: event }, `broker ${event.type}`),
  });
}

const broker = await connectBroker();
const storage = createStorage(settings.storage);
await storage.ensureBucket();
const worker = await startTrainingWorker({ broker, storage, config: settings.worker, log });
const health = await startHealthServer(worker, settings.health.port, settings.health.host);
log.info({ health: `${health.url}/health`, engine: worker.engine }, 'training worker ready');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  try {
    // Finishes or hands back the job in hand (see TrainingWorker.stop), then disconnects.
    await worker.stop();
    await broker.close({ graceMs: 1_000 });
  } catch (error) {
    log.error({ err: error }, 'shutdown failed');
    process.exitCode = 1;
  } finally {
    health.close();
  }
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
