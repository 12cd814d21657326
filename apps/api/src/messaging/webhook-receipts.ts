import type { Database } from '@stylelicense/db';

/** Receipts only matter inside the replay window; older ones are refused as stale anyway. */
export async function purgeWebhookReceipts(db: Database, olderThanMs = 24 * 60 * 60 * 1000): Promise<number> {
  return db.$executeRaw`DELETE FROM webhook_receipts WHERE source IN ('training', 'inference') AND received_at < now() - ${olderThanMs} * interval '1 millisecond'`;
}
