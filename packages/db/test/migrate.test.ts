import { cp, mkdir, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir } from '@stylelicense/test-kit';
import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { migrate, MIGRATIONS_DIR, MigrationError } from '../src';
import { createEmptyDatabase } from '../src/testing';

const drops: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (drops.length) await drops.pop()!();
});

async function emptyDatabase() {
  const database = await createEmptyDatabase();
  drops.push(database.drop);
  return database.url;
}

async function copyOfMigrations(): Promise<string> {
  const { path, remove } = await makeTempDir('migrations');
  drops.push(remove);
  await cp(MIGRATIONS_DIR, path, { recursive: true });
  return path;
}

async function query<T extends pg.QueryResultRow>(url: string, sql: string): Promise<T[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<T>(sql)).rows;
  } finally {
    await client.end();
  }
}

describe('migration runner', () => {
  it('applies every migration once and records it the way Prisma does', async () => {
    const url = await emptyDatabase();
    const first = await migrate(url);
    expect(first.applied).toContain('20261126000000_init');
    const second = await migrate(url);
    expect(second.applied).toEqual([]);
    expect(second.alreadyApplied).toEqual(first.applied);
    const rows = await query<{
      migration_name: string;
      checksum: string;
      finished_at: Date;
      applied_steps_count: number;
    }>(url, 'SELECT migration_name, checksum, finished_at, applied_steps_count FROM _prisma_migrations');
    expect(rows).toHaveLength(first.applied.length);
    expect(rows[0]!.checksum).toMatch(/^[0-9a-f]{64}$/);
    expect(rows[0]!.finished_at).toBeInstanceOf(Date);
  });

  it('lets only one of two concurrent processes apply a migration', async () => {
    const url = await emptyDatabase();
    const results = await Promise.all([migrate(url), migrate(url), migrate(url)]);
    const appliedCounts = results.map((r) => r.applied.length).sort();
    expect(appliedCounts.slice(0, 2)).toEqual([0, 0]);
    const rows = await query(url, 'SELECT 1 FROM _prisma_migrations');
    expect(rows).toHaveLength(appliedCounts[2]!);
  });

  it('refuses a migration edited after it was applied', async () => {
    const url = await emptyDatabase();
    const dir = await copyOfMigrations();
    await migrate(url, { dir });
    await writeFile(join(dir, '20261126000000_init', 'migration.sql'), '-- edited\n', { flag: 'a' });
    await expect(migrate(url, { dir })).rejects.toMatchObject({ code: 'MIGRATION_CHECKSUM_MISMATCH' });
  });

  it('rolls back a failing migration completely and leaves no bookkeeping row', async () => {
    const url = await emptyDatabase();
    const dir = await copyOfMigrations();
    await mkdir(join(dir, '29990101000000_broken'));
    await writeFile(
      join(dir, '29990101000000_broken', 'migration.sql'),
      'CREATE TABLE half_done (id int);\nSELECT * FROM no_such_table;\n',
    );
    const error = await migrate(url, { dir }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MigrationError);
    expect((error as MigrationError).code).toBe('MIGRATION_FAILED');
    const tables = await query(url, "SELECT 1 FROM pg_tables WHERE tablename = 'half_done'");
    expect(tables).toHaveLength(0);
    const rows = await query<{ migration_name: string }>(
      url,
      'SELECT migration_name FROM _prisma_migrations',
    );
    // Every migration before the broken one is recorded; the broken one is not.
    const earlier = (await readdir(dir, { withFileTypes: true }))
      .filter((entry) => entry.isDirectory() && entry.name !== '29990101000000_broken')
      .map((entry) => entry.name)
      .sort();
    expect(earlier.length).toBeGreaterThan(0);
    expect(rows.map((r) => r.migration_name).sort()).toEqual(earlier);
  });

  it('makes usernames and style names unique whatever their case, renaming existing duplicates deterministically', async () => {
    const url = await emptyDatabase();
    const dir = await copyOfMigrations();
    const name = '20261206090000_case_insensitive_names';
    await rm(join(dir, name), { recursive: true });
    await migrate(url, { dir });
    const long = 'a'.repeat(50);
    // The oldest of each group keeps its name; "mina_ink_2" (a group of its own) blocks that suffix.
    await query(
      url,
      `INSERT INTO users (id, username, provider, provider_user_id, created_at, updated_at)
       SELECT gen_random_uuid(), u.name, 'dev', u.name, timestamptz '2026-01-01' + u.n * interval '1 minute', now()
       FROM (VALUES (0, 'mina_ink_2'), (1, 'mina_ink'), (2, 'MINA_INK'), (3, 'Mina_Ink'),
                    (4, '${long}'), (5, '${long.toUpperCase()}')) AS u(n, name);
       INSERT INTO artists (user_id, artist_name, signature_image, verified_email, updated_at)
       SELECT id, username, 'signatures/x.png', 'x@example.com', now() FROM users WHERE username IN ('mina_ink', 'mina_ink_2');
       INSERT INTO styles (id, artist_id, name, generation_cost_tokens, created_at, updated_at)
       SELECT gen_random_uuid(), a.user_id, s.name, 1, timestamptz '2026-01-01' + s.n * interval '1 minute', now()
       FROM artists a JOIN users u ON u.id = a.user_id
       CROSS JOIN (VALUES (1, 'Ink Wash'), (2, 'INK WASH'), (3, 'ink wash (2)')) AS s(n, name)
       WHERE u.username = 'mina_ink' OR (u.username = 'mina_ink_2' AND s.n = 2);`,
    );
    await cp(join(MIGRATIONS_DIR, name), join(dir, name), { recursive: true });
    expect((await migrate(url, { dir })).applied).toEqual([name]);

    const users = await query<{ username: string }>(url, 'SELECT username FROM users ORDER BY created_at');
    expect(users.map((u) => u.username)).toEqual([
      'mina_ink_2',
      'mina_ink',
      'MINA_INK_3',
      'Mina_Ink_4',
      long,
      `${'A'.repeat(48)}_2`,
    ]);
    const styles = await query<{ owner: string; name: string }>(
      url,
      'SELECT u.username AS owner, s.name FROM styles s JOIN users u ON u.id = s.artist_id ORDER BY u.username, s.created_at',
    );
    expect(styles).toEqual([
      { owner: 'mina_ink', name: 'Ink Wash' },
      { owner: 'mina_ink', name: 'INK WASH (3)' },
      { owner: 'mina_ink', name: 'ink wash (2)' },
      { owner: 'mina_ink_2', name: 'INK WASH' },
    ]);
    await expect(
      query(
        url,
        "INSERT INTO users (id, username, provider, provider_user_id, updated_at) VALUES (gen_random_uuid(), 'MINA_ink', 'dev', 'new', now())",
      ),
    ).rejects.toMatchObject({ code: '23505', constraint: 'users_username_lower_key' });
    await expect(
      query(
        url,
        "INSERT INTO styles (id, artist_id, name, generation_cost_tokens, updated_at) SELECT gen_random_uuid(), id, 'ink WASH', 1, now() FROM users WHERE username = 'mina_ink'",
      ),
    ).rejects.toMatchObject({ code: '23505', constraint: 'styles_artist_id_name_lower_key' });
  });
});
