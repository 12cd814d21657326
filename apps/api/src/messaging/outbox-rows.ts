import type { Database } from '@stylelicense/db';

// The outbox table's statements, as the relay uses them.

export interface OutboxLag {
  /** Rows not yet published, including retries waiting for their back-off. */
  pending: number;
  /** Pending rows whose time has come. */
  due: number;
  /** How long the oldest due row has waited, 0 when none. */
  oldestDueAgeMs: number;
}

export interface ClaimedRow {
  id: bigint;
  message_id: string;
  destination: string;
  payload: unknown;
  headers: Record<string, string | number | boolean> | null;
  attempts: number;
}

/**
 * Claims up to `batchSize` due rows in one statement (`FOR UPDATE SKIP LOCKED`, then a lease in
 * `available_at`), oldest first.
 */
export async function claimDueRows(
  db: Database,
  { leaseMs, batchSize }: { leaseMs: number; batchSize: number },
): Promise<ClaimedRow[]> {
  const rows = await db.$queryRaw<ClaimedRow[]>`
    UPDATE outbox_messages AS o
       SET attempts = o.attempts + 1,
           available_at = now() + ${leaseMs} * interval '1 millisecond'
      FROM (SELECT id FROM outbox_messages
             WHERE status = 'pending' AND available_at <= now()
             ORDER BY id LIMIT ${batchSize}
             FOR UPDATE SKIP LOCKED) AS due
     WHERE o.id = due.id
    RETURNING o.id, o.message_id::text AS message_id, o.destination, o.payload, o.headers, o.attempts`;
  return rows.sort((a, b) => (a.id < b.id ? -1 : 1));
}

export async function markSent(db: Database, ids: bigint[]): Promise<void> {
  if (ids.length === 0) return;
  await db.$executeRaw`
    UPDATE outbox_messages SET status = 'sent', sent_at = now(), last_error = NULL
     WHERE id = ANY(${ids}::bigint[])`;
}

/** Failed publishes wait for their back-off (and keep the error) before they are due again. */
export async function scheduleRetries(
  db: Database,
  { ids, delaysMs, errors }: { ids: bigint[]; delaysMs: number[]; errors: string[] },
): Promise<void> {
  if (ids.length === 0) return;
  await db.$executeRaw`
    UPDATE outbox_messages AS o
       SET available_at = now() + f.delay_ms * interval '1 millisecond', last_error = f.error
      FROM unnest(${ids}::bigint[], ${delaysMs}::int[], ${errors}::text[]) AS f(id, delay_ms, error)
     WHERE o.id = f.id`;
}

export function purgeSentRows(db: Database, retainSentMs: number): Promise<number> {
  return db.$executeRaw`
    DELETE FROM outbox_messages WHERE status = 'sent' AND sent_at < now() - ${retainSentMs} * interval '1 millisecond'`;
}

export async function outboxLag(db: Database): Promise<OutboxLag> {
  const [row] = await db.$queryRaw<Array<{ pending: number; due: number; oldest_due_age_ms: number | null }>>`
    SELECT count(*)::int AS pending,
           (count(*) FILTER (WHERE available_at <= now()))::int AS due,
           (extract(epoch FROM now() - min(available_at) FILTER (WHERE available_at <= now())) * 1000)::float8 AS oldest_due_age_ms
      FROM outbox_messages WHERE status = 'pending'`;
  return {
    pending: row?.pending ?? 0,
    due: row?.due ?? 0,
    oldestDueAgeMs: Math.round(row?.oldest_due_age_ms ?? 0),
  };
}
