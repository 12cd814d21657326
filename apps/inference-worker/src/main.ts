// The standalone inference worker: `node dist/main.js` (Docker) or `pnpm --filter @stylelicense/inference-worker dev`.
import { createInProcessBroker, createRabbitBroker, type Broker } from '@stylelicense/queue';
import { createStorage } from '@stylelicense/storage';
import { loadSettings } from './env';
import { startHealthServer } from './health';
import { createLogger } from './logger';
import { startInferenceWorker } from './start';

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
    onEvent: (event) => (event.type === 'connected' ? log.info({}, 'broker connected') : log.warn({ broker: event }, `broker ${event.type}`)),
  });
}

async function start() {
  const broker = await connectBroker();
  const storage = createStorage(settings.storage);
  await storage.ensureBucket();
  // A bundled build (dist/main.js) runs the diffusion thread from dist/inference-thread.js.
  const diffusionEntry = import.meta.url.endsWith('.ts') ? undefined : new URL('./inference-thread.js', import.meta.url);
  const worker = await startInferenceWorker({ broker, storage, config: settings.worker, log, diffusionEntry });
  const health = await startHealthServer(worker, settings.health.port, settings.health.host);
  return { broker, worker, health };
}

// A wrong MODEL_DIR, a missing CUDA provider or an unreachable broker ends the process with its code.
const { broker, worker, health } = await start().catch((error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code;
  log.fatal({ err: error, code }, 'inference worker could not start');
  process.exit(1);
});
log.info({ health: `${health.url}/health` }, 'inference worker ready');

let stopping = false;
async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  log.info({ signal }, 'shutting down');
  try {
    await worker.stop();
    await broker.close({ graceMs: 1_000 });
  } catch (error) {
    log.error({ err: error }, 'shutdown failed');
    process.exitCode = 1;
  } finally {
    health.close();
    // Anything still holding the event loop (a stuck socket) must not keep a stopped worker alive.
    setTimeout(() => process.exit(), 5_000).unref();
  }
}
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));
