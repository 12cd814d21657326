import { createHash } from 'node:crypto';
import { PrismaPg } from '@prisma/adapter-pg';
import pg from 'pg';
import { PrismaClient, type Prisma } from './generated/prisma/client';

export interface DatabaseOptions {
  /** postgresql:// URL */
  url: string;
  /** Connections in this process's pool. PGlite serves exactly one. */
  poolSize?: number;
  /** Abort statements that run longer than this (ms). */
  statementTimeoutMs?: number;
  /**
   * The server keeps one session across connections (PGlite behind its socket server): a new
   * connection starts by forgetting the prepared statements an earlier one left in it.
   */
  sharedSession?: boolean;
}

export type Database = PrismaClient;

const pools = new WeakMap<Database, pg.Pool>();

/**
 * One Prisma client per process, talking to PostgreSQL through node-postgres. The pool is ours and
 * shared with Prisma, so hot single statements can skip Prisma's per-call cost (see `sqlPoolOf`)
 * without opening more connections; `$disconnect` ends it (and its companion, see `queryRows`).
 */
export function createDatabase({
  url,
  poolSize = 10,
  statementTimeoutMs,
  sharedSession = false,
}: DatabaseOptions): Database {
  const config: pg.PoolConfig = {
    connectionString: url,
    max: poolSize,
    ...(statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {}),
  };
  const pool = sharedSession
    ? new SessionKeepingPool({ ...config, ...awaitedOnConnect })
    : new SessionKeepingPool(config, { ...config, ...genericPlanPool(poolSize) });
  const adapter = new PrismaPg(pool, { disposeExternalPool: true });
  const db = new PrismaClient({ adapter });
  // Prisma ends the pool only if it ever connected; statements run by queryRows alone never make it.
  const disconnect = db.$disconnect.bind(db);
  db.$disconnect = async () => {
    await disconnect();
    await pool.end();
  };
  pools.set(db, pool);
  return db;
}

/**
 * How the companion of a pool of `poolSize` connections differs from it (see `queryRows`' `plan`):
 * at most half as many connections, whose sessions plan each prepared statement once. Exported so
 * that a benchmark's ceiling runs its statements the way the API does.
 */
export function genericPlanPool(poolSize: number): Pick<pg.PoolConfig, 'max' | 'options'> {
  return { max: Math.max(1, Math.ceil(poolSize / 2)), options: '-c plan_cache_mode=force_generic_plan' };
}

/**
 * pg-pool ends the connection behind any statement that failed, even one the server simply refused
 * (a unique violation, a bad cast): every ordinary error cost a reconnect, and against a server that
 * keeps its session across connections (PGlite) the next client met the old one's prepared
 * statements. A refusal the server answered leaves the connection ready, so it goes back to the
 * pool; only a broken connection is dropped.
 */
class SessionKeepingPool extends pg.Pool {
  private genericPlans: SessionKeepingPool | undefined;
  private endedWithCompanion: Promise<void> | undefined;

  /**
   * `genericPlanConfig`: how to open the companion pool whose sessions plan every prepared
   * statement once, for its parameters' types only (see `queryRows`' `plan`); opened on first use,
   * ended with this pool. Without it (PGlite's one session) such statements run here.
   */
  constructor(
    config: pg.PoolConfig,
    private readonly genericPlanConfig?: pg.PoolConfig,
  ) {
    super(config);
  }

  /** The pool for statements planned once per connection: the companion, or this one. */
  forGenericPlans(): pg.Pool {
    if (!this.genericPlanConfig || this.ending) return this;
    return (this.genericPlans ??= new SessionKeepingPool(this.genericPlanConfig));
  }

  /** Ends this pool and its companion; ending it again waits for the first end. */
  override end(): Promise<void> {
    return (this.endedWithCompanion ??= Promise.all([super.end(), this.genericPlans?.end()]).then(
      () => undefined,
    ));
  }

  // Typed as the overloads it replaces; only the promise form is served (Prisma and queryRows use it).
  override query(...args: unknown[]): never {
    if (args.some((arg) => typeof arg === 'function'))
      throw new TypeError('This pool answers queries with promises, not callbacks.');
    return this.queryOnKeptConnection(args[0] as pg.QueryConfig, args[1] as unknown[] | undefined) as never;
  }

  private async queryOnKeptConnection(config: pg.QueryConfig, values: unknown[] | undefined) {
    const client = await this.connect();
    // A connection that breaks mid-statement also emits 'error', which must not go unheard.
    let broken: Error | undefined;
    const onBroken = (error: Error) => {
      broken = error;
    };
    client.once('error', onBroken);
    try {
      const result = await client.query(config, values);
      client.removeListener('error', onBroken);
      client.release(broken);
      return result;
    } catch (error) {
      client.removeListener('error', onBroken);
      client.release(broken ?? (error instanceof pg.DatabaseError ? undefined : (error as Error)));
      throw error;
    }
  }
}

/** pg-pool awaits `onConnect` before handing the connection out (its typings say void). */
const awaitedOnConnect: { onConnect: (client: pg.ClientBase) => Promise<void> } = {
  onConnect: async (client) => {
    await client.query('DEALLOCATE ALL');
  },
};

/**
 * The node-postgres pool behind a client made by `createDatabase`, or null for anything else — a
 * transaction client in particular, whose statements must stay on its own connection. Rows come
 * back with node-postgres's types (int8 and numeric as strings), not Prisma's.
 */
export function sqlPoolOf(client: unknown): pg.Pool | null {
  return (typeof client === 'object' && client !== null && pools.get(client as Database)) || null;
}

/**
 * Runs one hot statement and returns its rows. Given the client itself (no open transaction) it goes
 * straight through the shared pool as the named prepared statement `name` — the same SQL and
 * parameters without Prisma's per-call cost, parsed once per connection; given a transaction client
 * it stays on that transaction (`$queryRaw`). Only for statements whose columns read alike either
 * way (text, int4, boolean, uuid cast to text, jsonb, timestamptz); int8 arrives as a string through
 * `pg`. Each distinct text of one `name` is its own prepared statement.
 *
 * PostgreSQL plans a prepared statement afresh for each call's values unless a plan made once, for
 * any values, is estimated no dearer. `plan: 'generic'` runs the statement on the companion pool
 * (at most half as many connections again as the pool), whose sessions always use that one plan:
 * for a large statement whose plan does not depend on its values (search, where planning cost as
 * much as running), that is the planning saved on every call. PGlite has one session and no
 * companion: there the statement runs as any other.
 */
export async function queryRows<Row>(
  client: Pick<Database, '$queryRaw'>,
  name: string,
  statement: Prisma.Sql,
  { plan = 'per-call' }: { plan?: 'per-call' | 'generic' } = {},
): Promise<Row[]> {
  const pool = sqlPoolOf(client);
  if (!pool) return client.$queryRaw<Row[]>(statement);
  const through = plan === 'generic' && pool instanceof SessionKeepingPool ? pool.forGenericPlans() : pool;
  const result = await through.query({
    name: preparedName(name, statement.text),
    text: statement.text,
    values: statement.values,
  });
  return result.rows as Row[];
}

const textDigests = new Map<string, string>();

/**
 * `name` plus a digest of the text: a statement whose text varies with its filters (a list with or
 * without a cursor, a tag filter) is one prepared statement per variant, never a name reused for
 * another text (which PostgreSQL would refuse). Digests are kept per text, computed once.
 */
function preparedName(name: string, text: string): string {
  let digest = textDigests.get(text);
  if (digest === undefined) {
    digest = createHash('sha1').update(text).digest('hex').slice(0, 12);
    if (textDigests.size < 10_000) textDigests.set(text, digest);
  }
  return `${name}:${digest}`;
}
