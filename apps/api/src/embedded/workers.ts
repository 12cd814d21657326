import type { Database } from '@stylelicense/db';
import { JOB_QUEUES, type Broker } from '@stylelicense/queue';
import type { ObjectStorage } from '@stylelicense/storage';
import type { Logger } from '../logger';

/** What an in-process worker gets from the embedded API: the shared in-process broker and how to report back. */
export interface EmbeddedWorkerContext {
  /** The in-process broker the outbox relay publishes to: consume `jobs.training` / `jobs.generation` here. */
  broker: Broker;
  /** Where to send signed webhooks (this process's API). */
  apiUrl: string;
  webhookSecrets: { training: string; inference: string };
  storage: ObjectStorage;
  /** The embedded data folder (models, caches). */
  dataDir: string;
  log: Logger;
}

export interface EmbeddedWorker {
  name: string;
  stop(): Promise<void>;
}

/** The export a worker app offers for the embedded default. */
export type StartEmbeddedWorker = (context: EmbeddedWorkerContext) => Promise<EmbeddedWorker>;

// Apps do not depend on each other as packages: the embedded default loads the worker apps from
// the same checkout (each resolves its own dependencies from its own folder).
export const EMBEDDED_WORKER_MODULES: readonly string[] = [
  new URL('../../../training-worker/src/index.ts', import.meta.url).href,
  new URL('../../../inference-worker/src/index.ts', import.meta.url).href,
];

/**
 * Starts each worker app's `startEmbeddedWorker(context)` in this process. A worker that is not
 * installed (or has no embedded entry yet) is skipped with a warning: its jobs wait in the
 * in-process queue, and are sent again on the next start (`requeueUnfinishedJobs`).
 */
export async function startEmbeddedWorkers(
  context: EmbeddedWorkerContext,
  modules: readonly string[] = EMBEDDED_WORKER_MODULES,
): Promise<EmbeddedWorker[]> {
  const started: EmbeddedWorker[] = [];
  for (const specifier of modules) {
    let entry: StartEmbeddedWorker | undefined;
    try {
      const loaded = (await import(specifier)) as { startEmbeddedWorker?: StartEmbeddedWorker };
      entry = loaded.startEmbeddedWorker;
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      context.log.warn(
        { worker: specifier, reason },
        'embedded worker not available; its jobs wait in the queue',
      );
      continue;
    }
    if (typeof entry !== 'function') {
      context.log.warn(
        { worker: specifier },
        'worker has no startEmbeddedWorker export; its jobs wait in the queue',
      );
      continue;
    }
    started.push(await entry(context));
    context.log.info({ worker: specifier }, 'embedded worker started');
  }
  return started;
}

/**
 * The in-process queue forgets its jobs when the process exits, so on start the embedded default
 * marks the latest job of every unfinished generation and style for publishing again.
 */
export async function requeueUnfinishedJobs(db: Database): Promise<number> {
  return db.$executeRaw`
    WITH latest AS (
      SELECT DISTINCT ON (destination, COALESCE(payload->>'generationId', payload->>'styleId')) id, destination, payload
        FROM outbox_messages
       WHERE destination IN (${JOB_QUEUES.generation}, ${JOB_QUEUES.training})
       ORDER BY destination, COALESCE(payload->>'generationId', payload->>'styleId'), id DESC
    )
    UPDATE outbox_messages AS o SET status = 'pending', available_at = now(), sent_at = NULL
      FROM latest
     WHERE o.id = latest.id AND o.status = 'sent' AND (
       (latest.destination = ${JOB_QUEUES.generation} AND EXISTS (
          SELECT 1 FROM generations g WHERE g.id = (latest.payload->>'generationId')::uuid AND g.status IN ('queued', 'processing', 'retrying')))
       OR (latest.destination = ${JOB_QUEUES.training} AND EXISTS (
          SELECT 1 FROM styles s WHERE s.id = (latest.payload->>'styleId')::uuid AND s.training_status IN ('pending', 'training'))))`;
}
