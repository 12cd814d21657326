import { Prisma, type Database } from '@stylelicense/db';
import type { Broker } from '@stylelicense/queue';
import pg from 'pg';
import type { Logger } from '../logger';
import type { ReadinessProbe } from '../platform/health';
import { onLocalOutboxWrite, OUTBOX_CHANNEL } from './outbox';
import {
  claimDueRows,
  markSent,
  outboxLag,
  purgeSentRows,
  scheduleRetries,
  type ClaimedRow,
  type OutboxLag,
} from './outbox-rows';

export type { OutboxLag } from './outbox-rows';

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
  /** Rounds of the running loop finished; the loop then sleeps unless woken (tests, diagnostics). */
  readonly rounds: number;
}

const PURGE_EVERY_MS = 10 * 60 * 1000;

/** Options with their defaults applied. */
type RelaySettings = Required<Omit<OutboxRelayOptions, 'db' | 'broker' | 'log' | 'listenUrl'>>;

/** One relay's configuration and moving parts; every function below works on it. */
interface RelayState {
  db: Database;
  broker: Broker;
  log: Logger;
  settings: RelaySettings;
  listenUrl?: string;
  running: boolean;
  loop?: Promise<void>;
  wakeUp?: () => void;
  woken: boolean;
  published: number;
  rounds: number;
  lastPurge: number;
  listener?: pg.Client;
  listenRetry?: NodeJS.Timeout;
  stopLocalWrites?: () => void;
  followUps: Set<NodeJS.Timeout>;
}

function settingsOf(options: OutboxRelayOptions): RelaySettings {
  return {
    batchSize: options.batchSize ?? 500,
    batchesInFlight: Math.max(1, options.batchesInFlight ?? 3),
    pollIntervalMs: options.pollIntervalMs ?? 1_000,
    leaseMs: options.leaseMs ?? 60_000,
    retryDelayMs: options.retryDelayMs ?? 1_000,
    maxRetryDelayMs: options.maxRetryDelayMs ?? 5 * 60_000,
    retainSentMs: options.retainSentMs ?? 7 * 24 * 60 * 60_000,
  };
}

/**
 * Publishes outbox rows to the broker with publisher confirms, oldest first, and marks them sent.
 * Safe with many API instances: a round claims a batch in one statement (`FOR UPDATE SKIP LOCKED`,
 * then a lease in `available_at`), so no lock is held while publishing and no two relays take the
 * same row. A relay that dies after publishing but before marking leaves the row to be published
 * again after its lease: delivery is at-least-once and consumers deduplicate by message id.
 */
export function createOutboxRelay(options: OutboxRelayOptions): OutboxRelay {
  const state: RelayState = {
    db: options.db,
    broker: options.broker,
    log: options.log,
    settings: settingsOf(options),
    listenUrl: options.listenUrl,
    running: false,
    woken: false,
    published: 0,
    rounds: 0,
    lastPurge: 0,
    followUps: new Set(),
  };
  return {
    start: () => start(state),
    stop: () => stop(state),
    wake: () => wake(state),
    relayOnce: async () => deliver(state, await claim(state)),
    lag: () => outboxLag(state.db),
    get published() {
      return state.published;
    },
    get rounds() {
      return state.rounds;
    },
  };
}

function start(state: RelayState): void {
  if (state.running) return;
  state.running = true;
  if (state.listenUrl) void listen(state, state.listenUrl);
  else state.stopLocalWrites = onLocalOutboxWrite(() => followLocalWrite(state));
  state.loop = run(state);
}

async function stop(state: RelayState): Promise<void> {
  state.running = false;
  clearTimeout(state.listenRetry);
  state.stopLocalWrites?.();
  for (const timer of state.followUps) clearTimeout(timer);
  state.followUps.clear();
  state.wakeUp?.();
  await state.loop;
  const client = state.listener;
  state.listener = undefined;
  await client?.end().catch(() => undefined);
}

function wake(state: RelayState): void {
  state.woken = true;
  state.wakeUp?.();
}

// The write's transaction has not committed yet when we hear of it: look again shortly after.
function followLocalWrite(state: RelayState): void {
  if (state.followUps.size > 0) return;
  for (const delay of [2, 10, 50, 200, 500]) {
    const timer = setTimeout(() => {
      state.followUps.delete(timer);
      wake(state);
    }, delay);
    state.followUps.add(timer);
  }
}

function claim({ db, settings }: RelayState): Promise<ClaimedRow[]> {
  return claimDueRows(db, settings);
}

/** Publishes claimed rows, then marks them sent (or schedules their next try). */
async function deliver(state: RelayState, rows: ClaimedRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const { db, broker, log, settings } = state;
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
    const delay = Math.min(
      settings.maxRetryDelayMs,
      settings.retryDelayMs * 2 ** Math.min(row.attempts - 1, 20),
    );
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
  await markSent(db, sent);
  await scheduleRetries(db, { ids: failedIds, delaysMs: failedDelays, errors: failedErrors });
  state.published += sent.length;
  return sent.length;
}

async function purgeSent(state: RelayState): Promise<void> {
  if (Date.now() - state.lastPurge < PURGE_EVERY_MS) return;
  state.lastPurge = Date.now();
  const purged = await purgeSentRows(state.db, state.settings.retainSentMs);
  if (purged > 0) state.log.info({ purged }, 'purged published outbox rows');
}

async function run(state: RelayState): Promise<void> {
  const { batchSize, batchesInFlight } = state.settings;
  let failures = 0;
  // While full batches are being published, the next ones are claimed (up to batchesInFlight).
  // Publishes are issued in claim order on one channel, so the order holds.
  const inFlight: Array<Promise<number>> = [];
  while (state.running) {
    state.woken = false;
    let full = false;
    try {
      await purgeSent(state);
      const rows = await claim(state);
      full = rows.length === batchSize;
      const current = deliver(state, rows);
      current.catch(() => undefined); // awaited below, possibly on a later round
      inFlight.push(current);
      while (inFlight.length >= (full ? batchesInFlight : 1)) await inFlight.shift();
      failures = 0;
    } catch (error) {
      await Promise.allSettled(inFlight.splice(0));
      // The database or broker is away: keep trying, slower each time.
      failures += 1;
      state.log.error({ err: error, failures }, 'outbox relay round failed');
    }
    state.rounds += 1;
    if (full || !state.running) continue;
    if (state.woken) continue;
    await pause(state, failures);
  }
  await Promise.allSettled(inFlight.splice(0));
}

/** Sleeps until the next poll (backing off after failures) or until woken. */
function pause(state: RelayState, failures: number): Promise<void> {
  const { maxRetryDelayMs, retryDelayMs, pollIntervalMs } = state.settings;
  const ms =
    failures > 0 ? Math.min(maxRetryDelayMs, retryDelayMs * 2 ** Math.min(failures - 1, 10)) : pollIntervalMs;
  return new Promise<void>((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      state.wakeUp = undefined;
      resolve();
    }
    state.wakeUp = done;
  });
}

async function listen(state: RelayState, url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url, application_name: 'outbox-relay' });
  const retry = () => {
    if (state.listener === client) state.listener = undefined;
    client.end().catch(() => undefined);
    if (state.running) state.listenRetry = setTimeout(() => void listen(state, url), 1_000);
  };
  client.on('notification', () => wake(state));
  client.on('error', (error) => {
    state.log.warn({ err: error }, 'outbox LISTEN connection lost; polling until it is back');
    retry();
  });
  try {
    await client.connect();
    await client.query(`LISTEN ${OUTBOX_CHANNEL}`);
    if (!state.running) {
      await client.end();
      return;
    }
    state.listener = client;
    wake(state); // commits made while we were not listening
  } catch (error) {
    state.log.warn({ err: error }, 'outbox LISTEN failed; polling until it works');
    retry();
  }
}

function describe(error: unknown): string {
  if (error instanceof Prisma.PrismaClientKnownRequestError) return `${error.code}: ${error.message}`;
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** `/api/ready` detail: how far behind the relay is (it stays "up": a backlog is not a reason to take the API out). */
export function outboxProbe(relay: OutboxRelay): ReadinessProbe {
  return { name: 'outbox', check: async () => ({ ...(await relay.lag()) }) };
}
