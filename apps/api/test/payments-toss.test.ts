import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcile } from '../src/tokens/ledger';
import { expireStalePurchases } from '../src/tokens/purchases';
import { startTestApi, type TestApi } from './harness';
import { Browser } from './http-client';
import { FakeToss } from './toss-server';

const WEB = 'http://localhost:5173';
let api: TestApi;
let toss: FakeToss;

beforeAll(async () => {
  toss = new FakeToss('test_sk_zXLkKEypNArWmo50nX3lmeaxYG5R');
  await toss.start();
  api = await startTestApi({
    WEB_ORIGIN: WEB,
    PAYMENT_PROVIDER: 'toss',
    TOSS_CLIENT_KEY: 'test_ck_D5GePWvyJnrK0W0k6q8gLzN97Eoq',
    TOSS_SECRET_KEY: toss.secretKey,
    TOSS_API_BASE_URL: toss.url,
    RATE_LIMIT_USER: '10000/60',
    RATE_LIMIT_SIGN_IN: '10000/60',
  });
});
afterAll(async () => {
  await api.stop();
  await toss.stop();
});

interface Purchase {
  orderId: string;
  checkoutUrl: string;
  amount: number;
  tokens: number;
  expiresAt: Date;
}

async function buyer(username: string) {
  const browser = new Browser(api.url, WEB);
  await browser.mutate('auth.devSignIn', { username });
  return browser;
}

async function startPurchase(browser: Browser, packageId = 'basic_100') {
  const result = await browser.mutate<Purchase>('tokens.purchase', { packageId });
  expect(result.status).toBe(200);
  return result.data!;
}

/** Toss sends the browser back to our success URL with the payment's key, order and amount. */
async function returnFromToss(
  browser: Browser,
  query: { paymentKey: string; orderId: string; amount: number },
) {
  const back = await browser.fetch(
    `/api/payments/toss/success?${new URLSearchParams({ ...query, amount: String(query.amount) }).toString()}`,
  );
  expect(back.status).toBe(303);
  return new URL(back.headers.get('location')!);
}

const balance = async (browser: Browser) =>
  (await browser.query<{ tokenBalance: number }>('tokens.balance')).data!.tokenBalance;
const webhook = (paymentKey: string, status = 'DONE') =>
  fetch(`${api.url}/api/webhooks/payments/toss`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      eventType: 'PAYMENT_STATUS_CHANGED',
      createdAt: new Date().toISOString(),
      data: { paymentKey, orderId: 'ignored', status },
    }),
  });

describe('token packages and purchases', () => {
  it('lists the server-side packages and refuses unknown ones', async () => {
    const browser = await buyer('package_viewer');
    const packages =
      await browser.query<Array<{ id: string; tokens: number; price: number }>>('tokens.packages');
    expect(packages.data!.map((p) => [p.id, p.tokens, p.price])).toEqual([
      ['basic_100', 100, 10_000],
      ['standard_500', 500, 45_000],
      ['premium_1000', 1000, 80_000],
    ]);
    const bad = await browser.mutate('tokens.purchase', { packageId: 'free_1000000' });
    expect(bad.status).toBe(400);
    expect(bad.error?.data.code).toBe('INVALID_PACKAGE');
  });

  it('creates a pending purchase with an order id, a checkout URL and a 15-minute expiry', async () => {
    const browser = await buyer('checkout_starter');
    const purchase = await startPurchase(browser, 'standard_500');
    expect(purchase).toMatchObject({ tokens: 500, amount: 45_000 });
    expect(purchase.orderId).toMatch(/^[A-Za-z0-9_-]{6,64}$/);
    expect(purchase.expiresAt.getTime() - Date.now()).toBeGreaterThan(14 * 60 * 1000);
    expect(purchase.expiresAt.getTime() - Date.now()).toBeLessThanOrEqual(15 * 60 * 1000);
    expect(purchase.checkoutUrl).toBe(`${api.url}/api/payments/toss/checkout?orderId=${purchase.orderId}`);
    const page = await browser.fetch(
      new URL(purchase.checkoutUrl).pathname + new URL(purchase.checkoutUrl).search,
    );
    const html = await page.text();
    expect(html).toContain('https://js.tosspayments.com/v2/standard');
    expect(html).toContain('"value":45000');
    expect(html).toContain(purchase.orderId);
    const row = await api.database.db.purchase.findUniqueOrThrow({
      where: { providerOrderId: purchase.orderId },
    });
    expect(row).toMatchObject({
      status: 'pending',
      provider: 'toss',
      totalPrice: 45_000,
      pricePerToken: 90,
      amountTokens: 500,
    });
  });
});

describe('the Toss flow', () => {
  it('confirms with Toss and credits the tokens once', async () => {
    const browser = await buyer('happy_buyer');
    const purchase = await startPurchase(browser);
    const paymentKey = toss.authorize(purchase.orderId, 10_000);
    const landed = await returnFromToss(browser, { paymentKey, orderId: purchase.orderId, amount: 10_000 });
    expect(`${landed.origin}${landed.pathname}`).toBe(`${WEB}/tokens`);
    expect(landed.searchParams.get('purchase')).toBe('paid');
    expect(await balance(browser)).toBe(200);

    const row = await api.database.db.purchase.findUniqueOrThrow({
      where: { providerOrderId: purchase.orderId },
    });
    expect(row).toMatchObject({ status: 'paid', providerPaymentKey: paymentKey });
    expect(row.receiptUrl).toContain(paymentKey);
    const history = await browser.query<{
      items: Array<{ type: string; amount: number; totalPrice: number; direction: string; sender: unknown }>;
    }>('tokens.transactions', { type: 'purchase' });
    expect(history.data!.items).toMatchObject([
      { type: 'purchase', amount: 100, totalPrice: 10_000, direction: 'in', sender: null },
    ]);
    expect(await reconcile(api.database.db)).toEqual([]);
  });

  it('credits once however many confirmations and webhooks arrive for the payment key', async () => {
    const browser = await buyer('duplicate_buyer');
    const purchase = await startPurchase(browser);
    const paymentKey = toss.authorize(purchase.orderId, 10_000);
    const confirmations = Array.from({ length: 8 }, () =>
      browser.mutate<{ credited: boolean }>('tokens.confirmPurchase', {
        paymentKey,
        orderId: purchase.orderId,
        amount: 10_000,
      }),
    );
    const webhooks = Array.from({ length: 8 }, () => webhook(paymentKey));
    const [confirmed, hooks] = await Promise.all([Promise.all(confirmations), Promise.all(webhooks)]);
    expect(confirmed.every((r) => r.status === 200)).toBe(true);
    expect(hooks.every((r) => r.status === 200)).toBe(true);
    const outcomes = [
      ...confirmed.map((r) => r.data!.credited),
      ...(await Promise.all(
        hooks.map(async (r) => ((await r.json()) as { outcome: string }).outcome === 'credited'),
      )),
    ];
    expect(outcomes.filter(Boolean)).toHaveLength(1);
    expect(await balance(browser)).toBe(200);
    expect(
      await api.database.db.transaction.count({ where: { idempotencyKey: `purchase:${paymentKey}` } }),
    ).toBe(1);
    expect(await reconcile(api.database.db)).toEqual([]);
  });

  it('credits from the webhook when the buyer never came back (confirm succeeded, redirect lost)', async () => {
    const browser = await buyer('webhook_buyer');
    const purchase = await startPurchase(browser);
    const paymentKey = toss.authorize(purchase.orderId, 10_000);
    toss.setStatus(paymentKey, 'DONE');
    const first = await webhook(paymentKey);
    expect(await first.json()).toEqual({ outcome: 'credited' });
    const repeat = await webhook(paymentKey);
    expect(await repeat.json()).toEqual({ outcome: 'already_credited' });
    expect(await balance(browser)).toBe(200);
  });

  it('refuses a wrong amount without asking Toss to capture it', async () => {
    const browser = await buyer('cheapskate');
    const purchase = await startPurchase(browser, 'premium_1000');
    const paymentKey = toss.authorize(purchase.orderId, 100);
    const callsBefore = toss.confirmCalls;
    const landed = await returnFromToss(browser, { paymentKey, orderId: purchase.orderId, amount: 100 });
    expect(landed.searchParams.get('error')).toBe('PAYMENT_FAILED');
    expect(landed.searchParams.get('reason')).toBe('amount_mismatch');
    expect(toss.confirmCalls).toBe(callsBefore);
    const row = await api.database.db.purchase.findUniqueOrThrow({
      where: { providerOrderId: purchase.orderId },
    });
    expect(row).toMatchObject({ status: 'failed', failureCode: 'AMOUNT_MISMATCH' });
    // Even a later confirmation with the right amount never credits a failed purchase.
    const late = await browser.mutate('tokens.confirmPurchase', {
      paymentKey,
      orderId: purchase.orderId,
      amount: 80_000,
    });
    expect(late.status).toBe(402);
    expect(late.error?.data.code).toBe('PAYMENT_FAILED');
    expect(await balance(browser)).toBe(100);
  });

  it('never credits an expired checkout', async () => {
    const browser = await buyer('slow_buyer');
    const purchase = await startPurchase(browser);
    const paymentKey = toss.authorize(purchase.orderId, 10_000);
    await api.database.db.purchase.update({
      where: { providerOrderId: purchase.orderId },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const callsBefore = toss.confirmCalls;
    const landed = await returnFromToss(browser, { paymentKey, orderId: purchase.orderId, amount: 10_000 });
    expect(landed.searchParams.get('reason')).toBe('expired');
    expect(toss.confirmCalls).toBe(callsBefore);
    expect(
      (await api.database.db.purchase.findUniqueOrThrow({ where: { providerOrderId: purchase.orderId } }))
        .status,
    ).toBe('expired');
    expect(await balance(browser)).toBe(100);

    const stale = await startPurchase(browser);
    await api.database.db.purchase.update({
      where: { providerOrderId: stale.orderId },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    expect(await expireStalePurchases(api.database.db)).toBeGreaterThanOrEqual(1);
    expect(
      (await api.database.db.purchase.findUniqueOrThrow({ where: { providerOrderId: stale.orderId } }))
        .status,
    ).toBe('expired');
  });

  it('marks a declined payment failed and never credits it', async () => {
    const browser = await buyer('declined_buyer');
    const purchase = await startPurchase(browser);
    const paymentKey = toss.authorize(purchase.orderId, 10_000);
    toss.declines.set(paymentKey, {
      status: 403,
      code: 'REJECT_CARD_PAYMENT',
      message: '한도초과 혹은 잔액부족으로 결제에 실패했습니다.',
    });
    const landed = await returnFromToss(browser, { paymentKey, orderId: purchase.orderId, amount: 10_000 });
    expect(landed.searchParams.get('error')).toBe('PAYMENT_FAILED');
    expect(landed.searchParams.get('reason')).toBe('declined');
    const row = await api.database.db.purchase.findUniqueOrThrow({
      where: { providerOrderId: purchase.orderId },
    });
    expect(row).toMatchObject({ status: 'failed', failureCode: 'REJECT_CARD_PAYMENT' });
    const hook = await webhook(paymentKey, 'ABORTED');
    expect(await hook.json()).toEqual({ outcome: 'failed' });
    expect(await balance(browser)).toBe(100);
  });

  it("marks the purchase failed when Toss's window fails, and ignores webhooks for unknown payments", async () => {
    const browser = await buyer('quitter');
    const purchase = await startPurchase(browser);
    const back = await browser.fetch(
      `/api/payments/toss/fail?code=PAY_PROCESS_CANCELED&message=canceled&orderId=${purchase.orderId}`,
    );
    expect(new URL(back.headers.get('location')!).searchParams.get('reason')).toBe('PAY_PROCESS_CANCELED');
    expect(
      (await api.database.db.purchase.findUniqueOrThrow({ where: { providerOrderId: purchase.orderId } }))
        .status,
    ).toBe('failed');

    const spoofed = await webhook('tgen_made_up_key');
    expect(spoofed.status).toBe(200);
    expect(await spoofed.json()).toEqual({ outcome: 'unknown_payment' });
  });
});
