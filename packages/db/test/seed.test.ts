import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoSeedIds, findCounterDrift, findLedgerDiscrepancies, seedDemoData } from '../src';
import { createTestDatabase, type TestDatabase } from '../src/testing';

describe('demo seed', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('fills an empty database with a living marketplace whose books and counters are exact', async () => {
    const counts = await seedDemoData(database.db);
    expect(counts).toMatchObject({ artists: 3, styles: 6 });
    expect(counts!.generations).toBeGreaterThanOrEqual(15);
    expect(counts!.likes).toBeGreaterThan(10);
    const db = database.db;
    expect(await db.generation.count({ where: { isPublic: true, status: 'completed' } })).toBeGreaterThan(10);
    expect(await db.style.count({ where: { trainingStatus: 'completed' } })).toBe(6);
    expect(await findLedgerDiscrepancies(db)).toEqual([]);
    expect(await findCounterDrift(db)).toEqual([]);
  });

  it('names exactly the accounts, artists and styles it created (for the embedded demo files)', async () => {
    const ids = demoSeedIds();
    const db = database.db;
    expect((await db.user.findMany({ select: { id: true } })).map((u) => u.id).sort()).toEqual(
      [...ids.userIds].sort(),
    );
    expect((await db.artist.findMany({ select: { userId: true } })).map((a) => a.userId).sort()).toEqual(
      [...ids.artistUserIds].sort(),
    );
    expect((await db.style.findMany({ select: { id: true } })).map((s) => s.id).sort()).toEqual(
      [...ids.styleIds].sort(),
    );
  });

  it('does nothing the second time', async () => {
    const before = await database.db.user.count();
    expect(await seedDemoData(database.db)).toBeNull();
    expect(await database.db.user.count()).toBe(before);
  });

  it('detects a balance that disagrees with the ledger and a counter that disagrees with its rows', async () => {
    const db = database.db;
    const user = await db.user.findFirstOrThrow({ where: { role: 'user' } });
    await db.user.update({ where: { id: user.id }, data: { tokenBalance: { increment: 7 } } });
    const discrepancies = await findLedgerDiscrepancies(db);
    expect(discrepancies).toEqual([
      { userId: user.id, account: 'tokens', balance: user.tokenBalance + 7, entries: user.tokenBalance },
    ]);
    const generation = await db.generation.findFirstOrThrow({ where: { isPublic: true } });
    await db.generation.update({ where: { id: generation.id }, data: { likeCount: { increment: 1 } } });
    expect(await findCounterDrift(db)).toEqual([
      {
        counter: 'generations.like_count',
        id: generation.id,
        cached: generation.likeCount + 1,
        actual: generation.likeCount,
      },
    ]);
  });
});
