import { withTransaction } from '@stylelicense/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { holdForGeneration, reconcile, refundGeneration } from '../src/tokens/ledger';
import { createArtistWithStyle, createGenerations } from './fixtures';
import { startTestApi, type TestApi } from './harness';
import { devSignedIn } from './http-client';

const WEB = 'http://localhost:5173';
let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({
    WEB_ORIGIN: WEB,
    RATE_LIMIT_USER: '10000/60',
    RATE_LIMIT_ANONYMOUS: '10000/60',
    RATE_LIMIT_SIGN_IN: '10000/60',
  });
});
afterAll(() => api.stop());

const signedIn = (username: string) => devSignedIn(api.url, username, WEB);

interface Entry {
  type: string;
  direction: 'in' | 'out';
  amount: number;
  refunded: boolean;
  sender: { username: string } | null;
  receiver: { username: string } | null;
  style: { id: string; name: string } | null;
  generation: { id: string; status: string } | null;
}

describe('the sandbox checkout (development and embedded)', () => {
  it('approves on the local checkout page through the same confirm path, once', async () => {
    const { browser } = await signedIn('sandbox_buyer');
    const purchase = await browser.mutate<{ orderId: string; checkoutUrl: string; provider: string }>(
      'tokens.purchase',
      { packageId: 'standard_500' },
    );
    expect(purchase.data!.provider).toBe('sandbox');
    const checkout = new URL(purchase.data!.checkoutUrl);
    const page = await browser.fetch(checkout.pathname + checkout.search);
    expect(await page.text()).toContain('₩45,000');

    // The page's form posts back to the API itself (its own origin).
    const approve = () =>
      browser.fetch('/api/payments/sandbox/approve', {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', origin: api.url },
        body: new URLSearchParams({ orderId: purchase.data!.orderId }).toString(),
      });
    const approved = await approve();
    expect(approved.status).toBe(303);
    expect(new URL(approved.headers.get('location')!).searchParams.get('purchase')).toBe('paid');
    // Approving again (a double click) is another payment for a paid order: refused, not credited.
    const again = await approve();
    expect(new URL(again.headers.get('location')!).searchParams.get('error')).toBe('PAYMENT_FAILED');
    const balance = await browser.query<{ tokenBalance: number }>('tokens.balance');
    expect(balance.data!.tokenBalance).toBe(600);

    const forged = await browser.fetch('/api/payments/sandbox/approve', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://evil.example' },
      body: new URLSearchParams({ orderId: purchase.data!.orderId }).toString(),
    });
    expect(forged.status).toBe(403);
  });

  it('declining never credits', async () => {
    const { browser } = await signedIn('sandbox_decliner');
    const purchase = await browser.mutate<{ orderId: string }>('tokens.purchase', { packageId: 'basic_100' });
    const declined = await browser.fetch('/api/payments/sandbox/decline', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: api.url },
      body: new URLSearchParams({ orderId: purchase.data!.orderId }).toString(),
    });
    expect(new URL(declined.headers.get('location')!).searchParams.get('error')).toBe('PAYMENT_FAILED');
    expect(
      (
        await api.database.db.purchase.findUniqueOrThrow({
          where: { providerOrderId: purchase.data!.orderId },
        })
      ).status,
    ).toBe('failed');
    expect((await browser.query<{ tokenBalance: number }>('tokens.balance')).data!.tokenBalance).toBe(100);
  });
});

describe('tokens.transactions', () => {
  it('lists my entries newest first with sender, receiver, style and generation, filtered and paged', async () => {
    const db = api.database.db;
    const { browser, userId } = await signedIn('ledger_reader');
    const { artist, style } = await createArtistWithStyle(db, { cost: 4 });
    const [kept, failed] = await createGenerations(db, { userId, styleId: style.id, count: 2, cost: 4 });
    await withTransaction(db, (tx) =>
      holdForGeneration(tx, { userId, generationId: kept!, styleId: style.id, amount: 4 }),
    );
    await withTransaction(db, (tx) =>
      holdForGeneration(tx, { userId, generationId: failed!, styleId: style.id, amount: 4 }),
    );
    await withTransaction(db, (tx) => refundGeneration(tx, { generationId: failed! }));

    const all = await browser.query<{ items: Entry[]; hasMore: boolean }>('tokens.transactions', {
      type: 'all',
    });
    expect(all.data!.items.map((e) => [e.type, e.direction, e.amount])).toEqual([
      ['refund', 'in', 4],
      ['generation', 'out', 4],
      ['generation', 'out', 4],
      ['bonus', 'in', 100],
    ]);
    const [refund, refundedHold] = all.data!.items;
    expect(refund).toMatchObject({
      sender: null,
      receiver: { username: 'ledger_reader' },
      style: { id: style.id, name: style.name },
      generation: { id: failed },
    });
    expect(refundedHold).toMatchObject({ refunded: true, generation: { id: failed, status: 'queued' } });

    const generationOnly = await browser.query<{ items: Entry[] }>('tokens.transactions', {
      type: 'generation',
    });
    expect(generationOnly.data!.items).toHaveLength(3);
    const purchasesOnly = await browser.query<{ items: Entry[] }>('tokens.transactions', {
      type: 'purchase',
    });
    expect(purchasesOnly.data!.items).toHaveLength(0);

    const page1 = await browser.query<{ items: Entry[]; nextCursor: string; hasMore: boolean }>(
      'tokens.transactions',
      { limit: 3 },
    );
    expect(page1.data).toMatchObject({ hasMore: true });
    const page2 = await browser.query<{ items: Entry[]; nextCursor: string | null; hasMore: boolean }>(
      'tokens.transactions',
      { limit: 3, cursor: page1.data!.nextCursor },
    );
    expect(page2.data).toMatchObject({ hasMore: false, nextCursor: null });
    expect(page2.data!.items.map((e) => e.type)).toEqual(['bonus']);

    const balance = await browser.query<{ tokenBalance: number; earnedTokenBalance: number | null }>(
      'tokens.balance',
    );
    expect(balance.data).toEqual({ tokenBalance: 96, earnedTokenBalance: null });
    expect(artist.id).not.toBe(userId);
    expect(await reconcile(db)).toEqual([]);
  });
});
