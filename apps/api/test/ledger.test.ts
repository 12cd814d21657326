import { isDomainError } from '@stylelicense/contracts';
import { withTransaction } from '@stylelicense/db';
import { createTestDatabase, type TestDatabase } from '@stylelicense/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  creditPurchase,
  creditWelcomeBonus,
  holdForGeneration,
  reconcile,
  refundGeneration,
  settleGeneration,
} from '../src/tokens/ledger';
import { createArtistWithStyle, createGenerations, createUser } from './fixtures';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ poolSize: 40 });
});
afterAll(() => database.drop());

const balanceOf = async (userId: string) =>
  (await database.db.user.findUniqueOrThrow({ where: { id: userId } })).tokenBalance;
const earnedOf = async (userId: string) =>
  (await database.db.artist.findUniqueOrThrow({ where: { userId } })).earnedTokenBalance;

describe('ledger', () => {
  it('credits the welcome bonus once', async () => {
    const db = database.db;
    const user = await createUser(db); // already credited once
    const again = await withTransaction(db, (tx) => creditWelcomeBonus(tx, { userId: user.id }));
    expect(again.applied).toBe(false);
    expect(await balanceOf(user.id)).toBe(100);
    const entries = await db.transaction.findMany({ where: { receiverId: user.id } });
    expect(entries).toMatchObject([{ type: 'bonus', amount: 100, memo: 'Welcome Bonus', senderId: null }]);
  });

  it('holds, settles to the artist, and never refunds a settled generation', async () => {
    const db = database.db;
    const { artist, style } = await createArtistWithStyle(db, { cost: 7 });
    const user = await createUser(db);
    const [generationId] = await createGenerations(db, {
      userId: user.id,
      styleId: style.id,
      count: 1,
      cost: 7,
    });
    const hold = await withTransaction(db, (tx) =>
      holdForGeneration(tx, { userId: user.id, generationId: generationId!, styleId: style.id, amount: 7 }),
    );
    expect(hold).toMatchObject({ applied: true, balance: 93 });
    const repeat = await withTransaction(db, (tx) =>
      holdForGeneration(tx, { userId: user.id, generationId: generationId!, styleId: style.id, amount: 7 }),
    );
    expect(repeat.applied).toBe(false);
    expect(await balanceOf(user.id)).toBe(93);

    expect(
      (await withTransaction(db, (tx) => settleGeneration(tx, { generationId: generationId! }))).applied,
    ).toBe(true);
    expect(
      (await withTransaction(db, (tx) => settleGeneration(tx, { generationId: generationId! }))).applied,
    ).toBe(false);
    expect(
      (await withTransaction(db, (tx) => refundGeneration(tx, { generationId: generationId! }))).applied,
    ).toBe(false);
    expect(await earnedOf(artist.id)).toBe(7);
    expect(await balanceOf(user.id)).toBe(93);
    expect(await reconcile(db)).toEqual([]);
  });

  it('rolls the hold back with the caller when the caller fails', async () => {
    const db = database.db;
    const { style } = await createArtistWithStyle(db);
    const user = await createUser(db);
    const [generationId] = await createGenerations(db, { userId: user.id, styleId: style.id, count: 1 });
    await expect(
      withTransaction(db, async (tx) => {
        await holdForGeneration(tx, {
          userId: user.id,
          generationId: generationId!,
          styleId: style.id,
          amount: 1,
        });
        throw new Error('publishing failed');
      }),
    ).rejects.toThrow('publishing failed');
    expect(await balanceOf(user.id)).toBe(100);
    expect(await db.transaction.count({ where: { generationId } })).toBe(0);
  });

  it('lets exactly 50 of 200 simultaneous 1-token holds through a balance of 50', async () => {
    const db = database.db;
    const { style } = await createArtistWithStyle(db);
    const user = await createUser(db);
    // Spend 50 of the 100-token bonus on one generation, so the books stay straight at balance 50.
    const [spent, ...generationIds] = await createGenerations(db, {
      userId: user.id,
      styleId: style.id,
      count: 201,
    });
    await withTransaction(db, (tx) =>
      holdForGeneration(tx, { userId: user.id, generationId: spent!, styleId: style.id, amount: 50 }),
    );

    const outcomes = await Promise.allSettled(
      generationIds.map((generationId) =>
        withTransaction(db, (tx) =>
          holdForGeneration(tx, { userId: user.id, generationId, styleId: style.id, amount: 1 }),
        ),
      ),
    );
    const succeeded = outcomes.filter((o) => o.status === 'fulfilled');
    const refused = outcomes.filter(
      (o) => o.status === 'rejected' && isDomainError(o.reason, 'INSUFFICIENT_TOKENS'),
    );
    expect(succeeded).toHaveLength(50);
    expect(refused).toHaveLength(150);
    const first = outcomes.find((o) => o.status === 'rejected') as PromiseRejectedResult;
    expect((first.reason as { details: unknown }).details).toEqual({ balance: 0, needed: 1 });
    expect(await balanceOf(user.id)).toBe(0);
    expect(await reconcile(db)).toEqual([]);
  });

  it('refunds once however many duplicate refunds race, and never settles after', async () => {
    const db = database.db;
    const { artist, style } = await createArtistWithStyle(db, { cost: 3 });
    const user = await createUser(db);
    const [generationId] = await createGenerations(db, {
      userId: user.id,
      styleId: style.id,
      count: 1,
      cost: 3,
    });
    await withTransaction(db, (tx) =>
      holdForGeneration(tx, { userId: user.id, generationId: generationId!, styleId: style.id, amount: 3 }),
    );
    const results = await Promise.all(
      Array.from({ length: 20 }, () =>
        withTransaction(db, (tx) => refundGeneration(tx, { generationId: generationId! })),
      ),
    );
    expect(results.filter((r) => r.applied)).toHaveLength(1);
    expect(await balanceOf(user.id)).toBe(100);
    expect(
      (await withTransaction(db, (tx) => settleGeneration(tx, { generationId: generationId! }))).applied,
    ).toBe(false);
    expect(await earnedOf(artist.id)).toBe(0);
    const hold = await db.transaction.findUniqueOrThrow({
      where: { idempotencyKey: `hold:${generationId}` },
    });
    expect(hold.refunded).toBe(true);
    expect(await reconcile(db)).toEqual([]);
  });

  it('credits a purchase once per payment key, even when confirmations race', async () => {
    const db = database.db;
    const user = await createUser(db);
    const purchase = await db.purchase.create({
      data: {
        buyerId: user.id,
        packageId: 'basic_100',
        amountTokens: 100,
        pricePerToken: 100,
        totalPrice: 10_000,
        provider: 'toss',
        providerOrderId: `order_${Date.now()}`,
        expiresAt: new Date(Date.now() + 60_000),
      },
    });
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        withTransaction(db, (tx) =>
          creditPurchase(tx, {
            purchaseId: purchase.id,
            userId: user.id,
            amount: 100,
            pricePerToken: 100,
            currency: 'KRW',
            paymentKey: 'pk_race',
          }),
        ),
      ),
    );
    const applied = results.filter((r) => r.status === 'fulfilled' && r.value.applied);
    expect(applied).toHaveLength(1);
    expect(await balanceOf(user.id)).toBe(200);
    const entry = await db.transaction.findUniqueOrThrow({ where: { idempotencyKey: 'purchase:pk_race' } });
    expect(entry.totalPrice).toBe(10_000n);
    expect(await reconcile(db)).toEqual([]);
  });
});
