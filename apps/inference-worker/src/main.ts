// The standalone inference worker: `node dist/main.js` (Docker) or `pnpm --filter @stylelicense/inference-worker dev`.
import { createStorage } from '@stylelicense/storage';
import { connectBroker, startHealthServer, stopOnSignals } from '@stylelicense/worker-runtime';
import { loadSettings } from './env';
import { createLogger } from './logger';
import { startInferenceWorker } from './start';

const settings = loadSettings();
const log = createLogger(settings.logLevel);

async function start() {
  const broker = await connectBroker(settings.broker, settings.worker.workerId, log);
  const storage = createStorage(settings.storage);
  await storage.ensureBucket();
  // A bundled build (dist/main.js) runs the diffusion thread from dist/inference-thread.js.
  const diffusionEntry = import.meta.url.endsWith('.ts')
    ? undefined
    : new URL('./inference-thread.js', import.meta.url);
  const worker = await startInferenceWorker({
    broker,
    storage,
    config: settings.worker,
    log,
    diffusionEntry,
  });
  const health = await startHealthServer(worker, settings.health.port, settings.health.host);
  return { broker, worker, health };
}

// A wrong MODEL_DIR, a missing CUDA provider or an unreachable broker ends the process with its code.
const running = await start().catch((error: unknown) => {
  const code = (error as { code?: unknown } | null)?.code;
  log.fatal({ err: error, code }, 'inference worker could not start');
  process.exit(1);
});
log.info({ health: `${running.health.url}/health` }, 'inference worker ready');

// Anything still holding the event loop (a stuck socket) must not keep a stopped worker alive.
stopOnSignals(running, log, { forceExitAfterMs: 5_000 });
