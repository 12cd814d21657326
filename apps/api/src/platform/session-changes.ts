import pg from 'pg';
import type { SessionCache } from '../identity/session-cache';
import type { Logger } from '../logger';

/** The channel the sessions and users triggers notify ("s:<session id>", "u:<user id>"). */
export const SESSION_CHANGES_CHANNEL = 'session_changes';

export interface SessionChangeListener {
  stop(): Promise<void>;
}

/**
 * Keeps `cache` told of session changes made by anyone: LISTENs on SESSION_CHANGES_CHANNEL and
 * forgets what each notification names. The cache vouches for sessions only while this connection
 * listens; when it is lost the cache is emptied and suspended (every session is read from the
 * database again) until the connection is back, retried every `retryMs`.
 */
export function listenForSessionChanges({
  url,
  cache,
  log,
  retryMs = 1_000,
}: {
  url: string;
  cache: SessionCache;
  log: Logger;
  retryMs?: number;
}): SessionChangeListener {
  let running = true;
  let client: pg.Client | undefined;
  let retryTimer: NodeJS.Timeout | undefined;

  const connect = async (): Promise<void> => {
    const current = new pg.Client({ connectionString: url, application_name: 'session-changes' });
    client = current;
    let failed = false;
    const fail = (error: unknown) => {
      if (failed) return;
      failed = true;
      cache.suspend();
      current.end().catch(() => undefined);
      if (!running) return;
      log.warn(
        { err: error },
        'session changes: LISTEN connection lost; sessions are read from the database',
      );
      retryTimer = setTimeout(() => void connect(), retryMs);
    };
    current.on('error', fail);
    current.on('end', () => fail(new Error('connection ended')));
    current.on('notification', ({ payload }) => {
      if (payload?.startsWith('s:')) cache.forget(payload.slice(2));
      else if (payload?.startsWith('u:')) cache.forgetUser(payload.slice(2));
    });
    try {
      await current.connect();
      await current.query(`LISTEN ${SESSION_CHANGES_CHANNEL}`);
      if (!running || failed) return;
      cache.resume();
    } catch (error) {
      fail(error);
    }
  };
  void connect();

  return {
    async stop() {
      running = false;
      clearTimeout(retryTimer);
      cache.suspend();
      await client?.end().catch(() => undefined);
    },
  };
}
