import { Prisma, type Database } from '@stylelicense/db';
import type { Broker } from '@stylelicense/queue';
import pg from 'pg';
import type { Logger } from '../logger';
import type { ReadinessProbe } from '../platform/health';
import { onLocalOutboxWrite, OUTBOX_CHANNEL } from './outbox';

export interface OutboxRelayOptions {
  db: Database;
  broker: Broker;
  log: Logger;
  /** Rows claimed and published per round. */
  batchSize?: number;
  /** Full batches being published at once while the next is claimed (default 3). */
  batchesInFlight?: number;
  /** Fallback poll when no wake-up arrives (rows written elsewhere, delayed retries). */
  pollIntervalMs?: number;
  /** A claimed row stays invisible to other relays this long; a relay that died mid-publish is covered by it. */
  leaseMs?: number;
  /** First back-off after a failed publish; doubles per attempt up to maxRetryDelayMs. */
  retryDelayMs?: number;
  maxRetryDelayMs?: number;
  /**
   * PostgreSQL URL to LISTEN on for commits made by any instance. Absent (embedded PGlite): this
   * process's outbox writes make the relay look again a few times over the next 500 ms instead.
   */
  listenUrl?: string;
  /** Sent rows older than this are deleted (the table stays small). */
  retainSentMs?: number;
}

export interface OutboxLag {
  /** Rows not yet published, including retries waiting for their back-off. */
  pending: number;
  /** Pending rows whose time has come. */
  due: number;
  /** How long the oldest due row has waited, 0 when none. */
  oldestDueAgeMs: number;
}

export interface OutboxRelay {
  start(): void;
  /** Finishes the round in progress, then stops. */
  stop(): Promise<void>;
  /** Look now: called after a commit that wrote outbox rows. */
  wake(): void;
  /** One claim-publish-mark round; resolves with the rows published (tests, benchmarks). */
  relayOnce(): Promise<number>;
  lag(): Promise<OutboxLag>;
  readonly published: number;
}

interface ClaimedRow {
  id: bigint;
  message_id: string;
  destination: string;
  payload: unknown;
  headers: Record<string, string | number | boolean> | null;
  attempts: number;
}

const PURGE_EVERY_MS = 10 * 60 * 1000;

/**
 * Publishes outbox rows to the broker with publisher confirms, oldest first, and marks them sent.
 * Safe with many API instances: a round claims a batch in one statement (`FOR UPDATE SKIP LOCKED`,
 * then a lease in `available_at`), so no lock is held while publishing and no two relays take the
 * same row. A relay that dies after publishing but before marking leaves the row to be published
 * again after its lease: delivery is at-least-once and consumers deduplicate by message id.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const { db, broker, log } = options;
  const batchSize = options.batchSize ?? 500;
  const batchesInFlight = Math.max(1, options.batchesInFlight ?? 3);
  const pollIntervalMs = options.pollIntervalMs ?? 1_000;
  const leaseMs = options.leaseMs ?? 60_000;
  const retryDelayMs = options.retryDelayMs ?? 1_000;
  const maxRetryDelayMs = options.maxRetryDelayMs ?? 5 * 60_000;
  const retainSentMs = options.retainSentMs ?? 7 * 24 * 60 * 60_000;

  let running = false;
  let loop: Promise<void> | undefined;
  let wakeUp: (() => void) | undefined;
  let woken = false;
  let published = 0;
  let lastPurge = 0;
  let listener: pg.Client | undefined;
  let listenRetry: NodeJS.Timeout | undefined;
  let stopLocalWrites: (() => void) | undefined;
  const followUps = new Set<NodeJS.Timeout>();

  function wake(): void {
    woken = true;
    wakeUp?.();
  }

  // The write's transaction has not committed yet when we hear of it: look again shortly after.
  function followLocalWrite(): void {
    if (followUps.size > 0) return;
    for (const delay of [2, 10, 50, 200, 500]) {
      const timer = setTimeout(() => {
        followUps.delete(timer);
        wake();
      }, delay);
      followUps.add(timer);
    }
  }

  async function claim(): Promise<ClaimedRow[]> {
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

  async function relayOnce(): Promise<number> {
    return deliver(await claim());
  }

  /** Publishes claimed rows, then marks them sent (or schedules their next try). */
  async function deliver(rows: ClaimedRow[]): Promise<number> {
    if (rows.length === 0) return 0;
    // One confirm channel keeps publish order; the confirms arrive as one stream.
    const outcomes = await Promise.allSettled(
      rows.map((row) =>
        broker.publish(row.destination, row.payload, {
          messageId: row.message_id,
          headers: row.headers ?? {},
        }),
      ),
    );
    const sent: bigint[] = [];
    const failedIds: bigint[] = [];
    const failedDelays: number[] = [];
    const failedErrors: string[] = [];
    outcomes.forEach((outcome, index) => {
      const row = rows[index]!;
      if (outcome.status === 'fulfilled') {
        sent.push(row.id);
        return;
      }
      const delay = Math.min(maxRetryDelayMs, retryDelayMs * 2 ** Math.min(row.attempts - 1, 20));
      failedIds.push(row.id);
      failedDelays.push(delay);
      failedErrors.push(describe(outcome.reason).slice(0, 2000));
      log.warn(
        {
          messageId: row.message_id,
          destination: row.destination,
          attempts: row.attempts,
          retryInMs: delay,
          err: outcome.reason,
        },
        'outbox publish failed',
      );
    });
    if (sent.length > 0) {
      await db.$executeRaw`
        UPDATE outbox_messages SET status = 'sent', sent_at = now(), last_error = NULL
         WHERE id = ANY(${sent}::bigint[])`;
    }
    if (failedIds.length > 0) {
      await db.$executeRaw`
        UPDATE outbox_messages AS o
           SET available_at = now() + f.delay_ms * interval '1 millisecond', last_error = f.error
          FROM unnest(${failedIds}::bigint[], ${failedDelays}::int[], ${failedErrors}::text[]) AS f(id, delay_ms, error)
         WHERE o.id = f.id`;
    }
    published += sent.length;
    return sent.length;
  }

  async function purgeSent(): Promise<void> {
    if (Date.now() - lastPurge < PURGE_EVERY_MS) return;
    lastPurge = Date.now();
    const purged = await db.$executeRaw`
      DELETE FROM outbox_messages WHERE status = 'sent' AND sent_at < now() - ${retainSentMs} * interval '1 millisecond'`;
    if (purged > 0) log.info({ purged }, 'purged published outbox rows');
  }

  async function run(): Promise<void> {
    let failures = 0;
    // While full batches are being published, the next ones are claimed (up to batchesInFlight).
    // Publishes are issued in claim order on one channel, so the order holds.
    const inFlight: Array<Promise<number>> = [];
    while (running) {
      woken = false;
      let full = false;
      try {
        await purgeSent();
        const rows = await claim();
        full = rows.length === batchSize;
        const current = deliver(rows);
        current.catch(() => undefined); // awaited below, possibly on a later round
        inFlight.push(current);
        while (inFlight.length >= (full ? batchesInFlight : 1)) await inFlight.shift();
        failures = 0;
      } catch (error) {
        await Promise.allSettled(inFlight.splice(0));
        // The database or broker is away: keep trying, slower each time.
        failures += 1;
        log.error({ err: error, failures }, 'outbox relay round failed');
      }
      if (full || !running) continue;
      if (woken) continue;
      const pause =
        failures > 0
          ? Math.min(maxRetryDelayMs, retryDelayMs * 2 ** Math.min(failures - 1, 10))
          : pollIntervalMs;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, pause);
        function done() {
          clearTimeout(timer);
          wakeUp = undefined;
          resolve();
        }
        wakeUp = done;
      });
    }
    await Promise.allSettled(inFlight.splice(0));
  }

  async function listen(url: string): Promise<void> {
    const client = new pg.Client({ connectionString: url, application_name: 'outbox-relay' });
    const retry = () => {
      if (listener === client) listener = undefined;
      client.end().catch(() => undefined);
      if (running) listenRetry = setTimeout(() => void listen(url), 1_000);
    };
    client.on('notification', wake);
    client.on('error', (error) => {
      log.warn({ err: error }, 'outbox LISTEN connection lost; polling until it is back');
      retry();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
      if (!running) {
        await client.end();
        return;
      }
      listener = client;
      wake(); // commits made while we were not listening
    } catch (error) {
      log.warn({ err: error }, 'outbox LISTEN failed; polling until it works');
      retry();
    }
  }

  return {
    start() {
      if (running) return;
      running = true;
      if (options.listenUrl) void listen(options.listenUrl);
      else stopLocalWrites = onLocalOutboxWrite(followLocalWrite);
      loop = run();
    },
    async stop() {
      running = false;
      clearTimeout(listenRetry);
      stopLocalWrites?.();
      for (const timer of followUps) clearTimeout(timer);
      followUps.clear();
      wakeUp?.();
      await loop;
      const client = listener;
      listener = undefined;
      await client?.end().catch(() => undefined);
    },
    wake,
    relayOnce,
    async lag() {
      const [row] = await db.$queryRaw<
        Array<{ pending: number; due: number; oldest_due_age_ms: number | null }>
      >`
        SELECT count(*)::int AS pending,
               (count(*) FILTER (WHERE available_at <= now()))::int AS due,
               (extract(epoch FROM now() - min(available_at) FILTER (WHERE available_at <= now())) * 1000)::float8 AS oldest_due_age_ms
          FROM outbox_messages WHERE status = 'pending'`;
      return {
        pending: row?.pending ?? 0,
        due: row?.due ?? 0,
        oldestDueAgeMs: Math.round(row?.oldest_due_age_ms ?? 0),
      };
    },
    get published() {
      return published;
    },
  };
}

function describe(error: unknown): string {
  if (error instanceof Prisma.PrismaClientKnownRequestError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** `/api/ready` detail: how far behind the relay is (it stays "up": a backlog is not a reason to take the API out). */
export function outboxProbe(relay: OutboxRelay): ReadinessProbe {
  return { name: 'outbox', check: async () => ({ ...(await relay.lag()) }) };
}
