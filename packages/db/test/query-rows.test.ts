import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Prisma, queryRows, withTransaction } from '../src';
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
});
