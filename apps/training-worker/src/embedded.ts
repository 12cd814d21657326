import type { Broker } from '@stylelicense/queue';
import type { ObjectStorage } from '@stylelicense/storage';
import type { WorkerLog } from './config';
import { embeddedWorkerConfig } from './env';
import { startTrainingWorker } from './start';

/**
 * What the API's embedded mode hands a worker (structurally the API's `EmbeddedWorkerContext`;
 * apps do not import each other, so the shape is repeated here).
 */
export interface EmbeddedWorkerContext {
  broker: Broker;
  apiUrl: string;
  webhookSecrets: { training: string };
  storage: ObjectStorage;
  dataDir: string;
  log: WorkerLog & { child?: (bindings: Record<string, unknown>) => WorkerLog };
}

/**
 * The embedded default (`pnpm start`): the worker runs inside the API process on its in-process
 * broker and storage. The engine is `onnx` unless TRAINER_ENGINE says otherwise: styles train in
 * this process on ONNX Runtime, on the synthetic tiny model unless MODEL_DIR names another.
 */
export async function startEmbeddedWorker(
  context: EmbeddedWorkerContext,
): Promise<{ name: string; stop(): Promise<void> }> {
  const log = context.log.child?.({ worker: 'training' }) ?? context.log;
  const worker = await startTrainingWorker({
    broker: context.broker,
    storage: context.storage,
    config: embeddedWorkerConfig({
      apiUrl: context.apiUrl,
      webhookSecret: context.webhookSecrets.training,
      dataDir: context.dataDir,
    }),
    log,
  });
  return { name: 'training', stop: () => worker.stop() };
}
