import type { Database } from '@stylelicense/db';
import type { Logger } from '../logger';
import { expireStalePurchases } from '../tokens/purchases';
import { purgeExpiredSessions } from '../identity/sessions';

/** Periodic clean-up of identity and payments: expired sessions deleted, abandoned checkouts expired. */
export function startIdentityHousekeeping(db: Database, log: Logger, intervalMs: number): () => void {
  const run = async () => {
    try {
      const sessions = await purgeExpiredSessions(db);
      const purchases = await expireStalePurchases(db);
      if (sessions || purchases) log.info({ sessions, purchases }, 'purged expired sessions and checkouts');
    } catch (error) {
      log.warn({ err: error }, 'identity housekeeping failed; will retry');
    }
  };
  const timer = setInterval(() => void run(), intervalMs);
  timer.unref();
  void run();
  return () => clearInterval(timer);
}
