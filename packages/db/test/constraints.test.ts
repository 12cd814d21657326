import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../src';
import { createTestDatabase, type TestDatabase } from '../src/testing';

/** The database itself refuses what the product forbids, whatever code talks to it. */
describe('database constraints', () => {
  let database: TestDatabase;
  let db: Database;
  let alice: string;
  let bob: string;
  let styleId: string;
  let generationId: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    db = database.db;
    alice = (
      await db.user.create({
        data: { username: 'alice', provider: 'dev', providerUserId: 'a', tokenBalance: 5 },
      })
    ).id;
    bob = (await db.user.create({ data: { username: 'bob', provider: 'dev', providerUserId: 'b' } })).id;
    await db.artist.create({
      data: {
        userId: bob,
        artistName: 'Bob',
        signatureImage: 'signatures/b.png',
        verifiedEmail: 'bob@example.com',
      },
    });
    styleId = (await db.style.create({ data: { artistId: bob, name: 'ink', generationCostTokens: 3 } })).id;
    generationId = (
      await db.generation.create({
        data: { userId: alice, styleId, aspectRatio: 'square', seed: 1n, consumedTokens: 3, isPublic: true },
      })
    ).id;
  });
  afterAll(async () => {
    await database.drop();
  });

  it('refuses a negative token balance', async () => {
    await expect(
      db.user.update({ where: { id: alice }, data: { tokenBalance: { decrement: 6 } } }),
    ).rejects.toThrow(/users_token_balance_check/);
    expect((await db.user.findUniqueOrThrow({ where: { id: alice } })).tokenBalance).toBe(5);
  });

  it('refuses a negative earned balance', async () => {
    await expect(
      db.artist.update({ where: { userId: bob }, data: { earnedTokenBalance: -1 } }),
    ).rejects.toThrow(/artists_earned_token_balance_check/);
  });

  it('refuses a self-follow', async () => {
    await expect(db.follow.create({ data: { followerId: alice, followingId: alice } })).rejects.toThrow(
      /follows_no_self_follow_check/,
    );
  });

  it('refuses a duplicate follow', async () => {
    await db.follow.create({ data: { followerId: alice, followingId: bob } });
    await expect(db.follow.create({ data: { followerId: alice, followingId: bob } })).rejects.toMatchObject({
      code: 'P2002',
    });
  });

  it('refuses a duplicate like', async () => {
    await db.like.create({ data: { userId: bob, generationId } });
    await expect(db.like.create({ data: { userId: bob, generationId } })).rejects.toMatchObject({
      code: 'P2002',
    });
  });

  it('refuses a generation cost outside 1–10000', async () => {
    for (const cost of [0, 10_001]) {
      await expect(
        db.style.create({ data: { artistId: bob, name: `cost-${cost}`, generationCostTokens: cost } }),
      ).rejects.toThrow(/styles_generation_cost_tokens_check/);
    }
    await expect(
      db.style.create({ data: { artistId: bob, name: 'max', generationCostTokens: 10_000 } }),
    ).resolves.toBeTruthy();
  });

  it('refuses to delete a style that has generations', async () => {
    await expect(db.style.delete({ where: { id: styleId } })).rejects.toThrow(
      /generations_style_id_fkey|Foreign key/i,
    );
    expect(await db.style.count({ where: { id: styleId } })).toBe(1);
  });

  it("refuses a second style with one of the artist's names, whatever its case", async () => {
    for (const name of ['ink', 'INK'])
      await expect(
        db.style.create({ data: { artistId: bob, name, generationCostTokens: 1 } }),
      ).rejects.toMatchObject({ code: 'P2002' });
  });

  it('keeps ledger entries immutable and computes their total price', async () => {
    const entry = await db.transaction.create({
      data: {
        receiverId: alice,
        amount: 100,
        type: 'purchase',
        pricePerToken: 100,
        idempotencyKey: 'purchase:test',
      },
    });
    expect(entry.totalPrice).toBe(10_000n);
    await expect(db.transaction.update({ where: { id: entry.id }, data: { amount: 1 } })).rejects.toThrow(
      /immutable/,
    );
    await expect(db.transaction.delete({ where: { id: entry.id } })).rejects.toThrow(/immutable/);
    await expect(
      db.transaction.update({ where: { id: entry.id }, data: { refunded: true } }),
    ).resolves.toMatchObject({
      refunded: true,
    });
    await expect(
      db.transaction.create({
        data: { receiverId: alice, amount: 0, type: 'bonus', idempotencyKey: 'zero' },
      }),
    ).rejects.toThrow(/transactions_amount_check/);
    await expect(
      db.transaction.create({
        data: { receiverId: alice, amount: 1, type: 'bonus', idempotencyKey: 'purchase:test' },
      }),
    ).rejects.toMatchObject({ code: 'P2002' });
  });

  it('refuses tags that are not lower-case', async () => {
    await expect(db.tag.create({ data: { name: 'Watercolor' } })).rejects.toThrow(/tags_name_check/);
  });
});
