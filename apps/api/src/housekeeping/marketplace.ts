import type { AppDeps } from '../deps';
import { purgeReadNotifications } from '../notifications/notifications';
import { purgeExpiredIdempotencyKeys } from '../platform/idempotency';
import { sweepOrphanedUploads } from '../styles/uploads';

export interface Housekeeping {
  /** One pass now (also what the timer runs). */
  runOnce(): Promise<{ notificationsPurged: number; uploadsSwept: number; idempotencyKeysPurged: number }>;
  stop(): Promise<void>;
}

/**
 * Periodic clean-up every API instance runs: read notifications older than 30 days, staged
 * uploads no style claimed and expired Idempotency-Key rows. Each is idempotent, so instances
 * running it concurrently is harmless.
 */
export function startMarketplaceHousekeeping(
  deps: Pick<AppDeps, 'db' | 'storage' | 'log'>,
  intervalMs: number,
): Housekeeping {
  let running: Promise<unknown> | undefined;
  const runOnce = async () => {
    const notificationsPurged = await purgeReadNotifications(deps.db);
    const uploadsSwept = await sweepOrphanedUploads(deps.storage);
    const idempotencyKeysPurged = await purgeExpiredIdempotencyKeys(deps.db);
    if (notificationsPurged || uploadsSwept || idempotencyKeysPurged)
      deps.log.info({ notificationsPurged, uploadsSwept, idempotencyKeysPurged }, 'housekeeping');
    return { notificationsPurged, uploadsSwept, idempotencyKeysPurged };
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
