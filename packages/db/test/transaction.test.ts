import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '../src';
import { createTestDatabase, type TestDatabase } from '../src/testing';

describe('withTransaction', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('retries serialization failures so concurrent read-modify-write loses no update', async () => {
    const db = database.db;
    const user = await db.user.create({
      data: { username: 'counter', provider: 'dev', providerUserId: 'c' },
    });
    // Read-then-write under SERIALIZABLE: concurrent runs conflict and must be retried, not lost.
    await Promise.all(
      Array.from({ length: 8 }, () =>
        withTransaction(
          db,
          async (tx) => {
            const { tokenBalance } = await tx.user.findUniqueOrThrow({ where: { id: user.id } });
            await tx.user.update({ where: { id: user.id }, data: { tokenBalance: tokenBalance + 1 } });
          },
          { isolationLevel: 'Serializable', maxRetries: 20 },
        ),
      ),
    );
    expect((await db.user.findUniqueOrThrow({ where: { id: user.id } })).tokenBalance).toBe(8);
  });

  it('rolls back everything when the work throws', async () => {
    const db = database.db;
    await expect(
      withTransaction(db, async (tx) => {
        await tx.user.create({ data: { username: 'ghost', provider: 'dev', providerUserId: 'g' } });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await db.user.count({ where: { username: 'ghost' } })).toBe(0);
  });
});
