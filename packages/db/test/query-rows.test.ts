import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pg from 'pg';
import { createDatabase, Prisma, queryRows, withTransaction } from '../src';
import { createTestDatabase, type TestDatabase } from '../src/testing';

describe('queryRows', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase({ poolSize: 1 });
  });
  afterAll(async () => {
    await database.drop();
  });

  it('runs the variants of one named statement side by side on one connection, reading like Prisma', async () => {
    const db = database.db;
    await db.user.create({
      data: { username: 'ann', provider: 'dev', providerUserId: 'a', tokenBalance: 3 },
    });
    await db.user.create({
      data: { username: 'bob', provider: 'dev', providerUserId: 'b', tokenBalance: 7 },
    });
    const list = (filter: Prisma.Sql | null) =>
      Prisma.sql`SELECT username, token_balance, created_at FROM users ${filter ? Prisma.sql`WHERE ${filter}` : Prisma.empty} ORDER BY username`;
    type Row = { username: string; token_balance: number; created_at: Date };
    // One name, three texts, one pooled connection: each text is its own prepared statement.
    for (let round = 0; round < 2; round++) {
      expect((await queryRows<Row>(db, 'users.list', list(null))).map((r) => r.username)).toEqual([
        'ann',
        'bob',
      ]);
      expect(
        (await queryRows<Row>(db, 'users.list', list(Prisma.sql`token_balance > ${5}`))).map(
          (r) => r.username,
        ),
      ).toEqual(['bob']);
      expect(
        (await queryRows<Row>(db, 'users.list', list(Prisma.sql`username = ${'ann'}`))).map(
          (r) => r.token_balance,
        ),
      ).toEqual([3]);
    }
    const direct = await queryRows<Row>(db, 'users.list', list(null));
    const throughPrisma = await withTransaction(db, (tx) => queryRows<Row>(tx, 'users.list', list(null)));
    expect(direct).toEqual(throughPrisma);
    expect(direct[0]!.created_at).toBeInstanceOf(Date);
  });

  it('keeps the connection (and its prepared statements) after a statement the server refused', async () => {
    const db = database.db;
    const backend = () =>
      queryRows<{ pid: number }>(db, 'backend', Prisma.sql`SELECT pg_backend_pid() AS pid`);
    const [first] = await backend();
    // A unique violation through the pool, outside any transaction, as users.updateMe meets it.
    await db.user.create({ data: { username: 'held', provider: 'dev', providerUserId: 'held' } });
    await expect(
      db.user.create({ data: { username: 'held', provider: 'dev', providerUserId: 'held-2' } }),
    ).rejects.toThrow();
    await expect(queryRows(db, 'bad_cast', Prisma.sql`SELECT ${'zzz'}::uuid AS id`)).rejects.toThrow(/uuid/);
    // Same session: the named statement prepared before the errors is still usable, not prepared twice.
    expect(await backend()).toEqual([first]);
  });

  it("plans a statement once per connection with `plan: 'generic'`, on a pool that ends with the database", async () => {
    const db = createDatabase({ url: database.url, poolSize: 2 });
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    const backends = async () =>
      Number(
        (
          await admin.query<{ n: string }>(
            'SELECT count(*) AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
          )
        ).rows[0]!.n,
      );
    try {
      const before = await backends();
      // Each pool answers on its own sessions: the companion's plan every prepared statement once.
      const byName = (plan: 'generic' | 'per-call', value: string) =>
        queryRows<{ username: string | null }>(
          db,
          `by_name_${plan}`,
          Prisma.sql`SELECT min(username) AS username FROM users WHERE username LIKE ${value}`,
          { plan },
        );
      const plans = (plan: 'generic' | 'per-call', name: string) =>
        queryRows<{ generic_plans: string; custom_plans: string; mode: string }>(
          db,
          'plans',
          Prisma.sql`SELECT generic_plans::text, custom_plans::text, current_setting('plan_cache_mode') AS mode
                     FROM pg_prepared_statements WHERE name LIKE ${`${name}:%`}`,
          { plan },
        );
      for (const plan of ['generic', 'per-call'] as const)
        for (const value of ['%a%', 'z%', '%'])
          expect((await byName(plan, value))[0]).toHaveProperty('username');
      // A pool of 2: the companion has one session, the statements above all ran there.
      expect(await plans('generic', 'by_name_generic')).toEqual([
        { generic_plans: '3', custom_plans: '0', mode: 'force_generic_plan' },
      ]);
      const perCall = await plans('per-call', 'by_name_per-call');
      expect(perCall.every((p) => p.mode === 'auto' && p.generic_plans === '0')).toBe(true);
      expect(await backends()).toBeGreaterThan(before);

      await db.$disconnect();
      await expect.poll(backends, { timeout: 10_000 }).toBe(before);
    } finally {
      await db.$disconnect();
      await admin.end();
    }
  });
});
