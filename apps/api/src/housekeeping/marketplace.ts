import type { AppDeps } from '../deps';
import { purgeReadNotifications } from '../notifications/notifications';
import { sweepOrphanedUploads } from '../styles/uploads';

export interface Housekeeping {
  /** One pass now (also what the timer runs). */
  runOnce(): Promise<{ notificationsPurged: number; uploadsSwept: number }>;
  stop(): Promise<void>;
}

/**
 * Periodic clean-up every API instance runs: read notifications older than 30 days and staged
 * uploads no style claimed. Both are idempotent, so instances running it concurrently is harmless.
 */
export function startMarketplaceHousekeeping(
  deps: Pick<AppDeps, 'db' | 'storage' | 'log'>,
  intervalMs: number,
): Housekeeping {
  let running: Promise<unknown> | undefined;
  const runOnce = async () => {
    const notificationsPurged = await purgeReadNotifications(deps.db);
    const uploadsSwept = await sweepOrphanedUploads(deps.storage);
    if (notificationsPurged || uploadsSwept)
      deps.log.info({ notificationsPurged, uploadsSwept }, 'housekeeping');
    return { notificationsPurged, uploadsSwept };
  };
  const timer = setInterval(() => {
    running ??= runOnce()
      .catch((error: unknown) => deps.log.warn({ err: error }, 'housekeeping failed'))
      .finally(() => (running = undefined));
  }, intervalMs);
  timer.unref();
  return {
    runOnce,
    async stop() {
      clearInterval(timer);
      await running;
    },
  };
}
