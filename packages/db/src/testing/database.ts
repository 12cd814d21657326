import { createHash, randomBytes } from 'node:crypto';
import { requireService, testServices } from '@stylelicense/test-kit';
import pg from 'pg';
import { createDatabase, type Database } from '../client';
import { loadMigrations, migrate } from '../migrate';

// An arbitrary constant: processes building the template take turns.
const TEMPLATE_LOCK_KEY = 72_616_454;
const STALE_AFTER_MS = 6 * 60 * 60 * 1000;
// The comment a template carries: when it was built, in epoch milliseconds.
const BUILT_AT = 'built at ';

export interface TestDatabase {
  name: string;
  url: string;
  /** A Prisma client on this database (created on first use). */
  readonly db: Database;
  drop: () => Promise<void>;
}

function urlFor(database: string): string {
  const url = new URL(testServices.postgres.url);
  url.pathname = `/${database}`;
  return url.toString();
}

async function withAdmin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  await requireService(testServices.postgres);
  const client = new pg.Client({ connectionString: testServices.postgres.url });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

/**
 * The migrated template for the current migrations: built once (under an advisory lock, renamed
 * into place only when complete), then cloned per test file in milliseconds. `clone` names a
 * database to create from it while the lock is still held: a run with other migrations (another
 * branch) drops this template under the same lock, so a clone made after it could find it gone.
 */
export async function ensureTemplateDatabase(clone?: string): Promise<string> {
  const migrations = await loadMigrations();
  const hash = createHash('sha256')
    .update(migrations.map((m) => `${m.name}:${m.checksum}`).join('\n'))
    .digest('hex');
  const template = `sl_tpl_${hash.slice(0, 16)}`;
  return withAdmin(async (admin) => {
    await admin.query('SELECT pg_advisory_lock($1)', [TEMPLATE_LOCK_KEY]);
    try {
      const cloneIt = async () => {
        if (clone) await admin.query(`CREATE DATABASE "${clone}" TEMPLATE "${template}"`);
        return template;
      };
      const exists = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [template]);
      if (exists.rowCount) return await cloneIt();
      await dropStaleDatabases(admin);
      const building = `${template}_build_${randomBytes(4).toString('hex')}`;
      await admin.query(`CREATE DATABASE "${building}"`);
      try {
        await migrate(urlFor(building));
        await admin.query(`ALTER DATABASE "${building}" RENAME TO "${template}"`);
        await admin.query(`ALTER DATABASE "${template}" WITH IS_TEMPLATE true`);
        await admin.query(`COMMENT ON DATABASE "${template}" IS '${BUILT_AT}${Date.now()}'`);
      } catch (error) {
        await admin.query(`DROP DATABASE IF EXISTS "${building}" WITH (FORCE)`);
        throw error;
      }
      return await cloneIt();
    } finally {
      await admin.query('SELECT pg_advisory_unlock($1)', [TEMPLATE_LOCK_KEY]);
    }
  });
}

/**
 * Test databases left behind by killed runs, and templates of other migrations built long ago. A
 * template built recently is kept even when its migrations differ: another checkout on the same
 * server (a second worktree, a CI clone) may be cloning it right now.
 */
async function dropStaleDatabases(admin: pg.Client): Promise<void> {
  const { rows } = await admin.query<{ datname: string; note: string | null }>(
    `SELECT datname, shobj_description(oid, 'pg_database') AS note FROM pg_database
      WHERE datname LIKE 'sl\\_test\\_%' OR datname LIKE 'sl\\_tpl\\_%'`,
  );
  for (const { datname, note } of rows) {
    const isTemplate = datname.startsWith('sl_tpl_');
    const bornAt = isTemplate
      ? Number(note?.startsWith(BUILT_AT) ? note.slice(BUILT_AT.length) : 0)
      : Number(/^sl_test_(\d+)_/.exec(datname)?.[1] ?? 0);
    // A template without its build time comes from before the stamp existed: old enough.
    if ((isTemplate && !bornAt) || (bornAt && Date.now() - bornAt > STALE_AFTER_MS)) {
      if (isTemplate) await admin.query(`ALTER DATABASE "${datname}" WITH IS_TEMPLATE false`);
      await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    }
  }
}

/** A fresh, fully migrated database of its own for one test file. */
export async function createTestDatabase({
  poolSize = 10,
}: { poolSize?: number } = {}): Promise<TestDatabase> {
  const name = `sl_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  await ensureTemplateDatabase(name);
  const url = urlFor(name);
  let db: Database | undefined;
  return {
    name,
    url,
    get db() {
      db ??= createDatabase({ url, poolSize });
      return db;
    },
    async drop() {
      await db?.$disconnect();
      await withAdmin((admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    },
  };
}

/** An empty database (no migrations), for tests of the migration runner itself. */
export async function createEmptyDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const name = `sl_test_${Date.now()}_${randomBytes(4).toString('hex')}`;
  await withAdmin((admin) => admin.query(`CREATE DATABASE "${name}"`));
  return {
    url: urlFor(name),
    drop: () =>
      withAdmin(async (admin) => void (await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`))),
  };
}
