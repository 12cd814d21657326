import { findLedgerDiscrepancies } from '@stylelicense/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { Browser } from './http-client';
import { addArtist, addStyle } from './marketplace';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({ RATE_LIMIT_SIGN_IN: '10000/60', RATE_LIMIT_GENERATION: '10000/60' });
});
afterAll(() => api.stop());

async function buyer(username: string) {
  const browser = new Browser(api.url);
  const signedIn = await browser.mutate<{ userId: string }>('auth.devSignIn', { username });
  return { browser, userId: signedIn.data!.userId };
}

const balanceOf = async (userId: string) =>
  (await api.runtime.deps.db.user.findUniqueOrThrow({ where: { id: userId } })).tokenBalance;

describe('generations.create agrees on the price the buyer saw', () => {
  it('answers PRICE_CHANGED (409) and holds nothing when the artist raised the price meanwhile', async () => {
    const db = api.runtime.deps.db;
    const artist = await addArtist(db);
    const style = await addStyle(db, artist.id, { cost: 5 });
    const { browser, userId } = await buyer('price_watcher');
    const shown = await browser.query<{ generationCostTokens: number }>('styles.byId', { styleId: style.id });
    expect(shown.data?.generationCostTokens).toBe(5);

    // Between the page and the click, the artist raises the price.
    await db.style.update({ where: { id: style.id }, data: { generationCostTokens: 10_000 } });
    const before = await balanceOf(userId);
    const refused = await browser.mutate('generations.create', {
      styleId: style.id,
      promptTags: ['sea'],
      aspectRatio: '1:1',
      expectedCost: 5,
    });
    expect(refused.status).toBe(409);
    expect(refused.error?.data).toMatchObject({
      code: 'PRICE_CHANGED',
      details: { styleId: style.id, expectedCost: 5, currentCost: 10_000 },
    });
    expect(await balanceOf(userId)).toBe(before);
    expect(await db.generation.count({ where: { userId } })).toBe(0);
    expect(await db.transaction.count({ where: { senderId: userId, type: 'generation' } })).toBe(0);
    expect(await db.outboxMessage.count({ where: { payload: { path: ['userId'], equals: userId } } })).toBe(
      0,
    );

    // Shown the new price again, the buyer agrees to it: charged exactly that.
    await db.style.update({ where: { id: style.id }, data: { generationCostTokens: 7 } });
    const agreed = await browser.mutate<{ owner: { consumedTokens: number } }>('generations.create', {
      styleId: style.id,
      promptTags: ['sea'],
      aspectRatio: '1:1',
      expectedCost: 7,
    });
    expect(agreed.status).toBe(200);
    expect(agreed.data?.owner.consumedTokens).toBe(7);
    expect(await balanceOf(userId)).toBe(before - 7);
    expect(await findLedgerDiscrepancies(db)).toEqual([]);
  });

  it('requires the price the client showed (422 naming expectedCost)', async () => {
    const db = api.runtime.deps.db;
    const style = await addStyle(db, (await addArtist(db)).id, { cost: 5 });
    const { browser, userId } = await buyer('price_silent');
    const missing = await browser.mutate('generations.create', {
      styleId: style.id,
      promptTags: ['sea'],
      aspectRatio: '1:1',
    });
    expect(missing.status).toBe(422);
    expect(missing.error?.data.code).toBe('VALIDATION_ERROR');
    expect(missing.error?.data.issues).toEqual([expect.objectContaining({ path: 'expectedCost' })]);
    expect(await db.generation.count({ where: { userId } })).toBe(0);
  });

  it('answers PRICE_CHANGED when the price changes while the purchase is in flight', async () => {
    const db = api.runtime.deps.db;
    const style = await addStyle(db, (await addArtist(db)).id, { cost: 5 });
    const { browser, userId } = await buyer('price_racer');
    let purchase!: ReturnType<typeof browser.mutate>;
    let answered = false;
    // The artist's change is held uncommitted while the purchase arrives: the purchase must wait for
    // it (its price check re-reads the row inside its own transaction) and then refuse.
    await db.$transaction(
      async (tx) => {
        await tx.$executeRaw`UPDATE styles SET generation_cost_tokens = 6 WHERE id = ${style.id}::uuid`;
        purchase = browser.mutate('generations.create', {
          styleId: style.id,
          promptTags: ['sea'],
          aspectRatio: '1:1',
          expectedCost: 5,
        });
        void purchase.then(() => (answered = true));
        await expect
          .poll(
            async () =>
              answered ||
              (
                await db.$queryRaw<Array<{ n: bigint }>>`
                  SELECT count(*) AS n FROM pg_stat_activity
                   WHERE wait_event_type = 'Lock' AND datname = current_database()`
              )[0]!.n > 0n,
            { timeout: 10_000 },
          )
          .toBe(true);
      },
      { timeout: 20_000 },
    );
    const refused = await purchase;
    expect(refused.status).toBe(409);
    expect(refused.error?.data.code).toBe('PRICE_CHANGED');
    expect(await db.generation.count({ where: { userId } })).toBe(0);
  });
});
