import { isDomainError } from '@stylelicense/contracts';
import express, { Router, type Response } from 'express';
import type { AppDeps } from '../deps';
import { SandboxPaymentProvider } from '../tokens/payments/sandbox';
import { TossPaymentProvider } from '../tokens/payments/toss';
import { PaymentDeclined } from '../tokens/payments/provider';
import { abandonPurchase, confirmPurchase, syncPayment } from '../tokens/purchases';

/** Payment provider routes: checkout pages, the provider's return URLs and the payment webhook. */
export function paymentRoutes(deps: AppDeps): Router {
  const routes = Router();
  const base = deps.config.PUBLIC_URL.replace(/\/+$/, '');
  const toWeb = (res: Response, params: Record<string, string>) => {
    const url = new URL('/tokens', deps.config.WEB_ORIGIN);
    for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
    res.redirect(303, url.toString());
  };
  const finish = async (res: Response, request: { paymentKey: string; orderId: string; amount: number }) => {
    try {
      await confirmPurchase(deps, null, request);
      toWeb(res, { purchase: 'paid', orderId: request.orderId });
    } catch (error) {
      if (!isDomainError(error)) throw error;
      toWeb(res, {
        error: error.code,
        reason: typeof error.details?.reason === 'string' ? error.details.reason : '',
        orderId: request.orderId,
      });
    }
  };
  const pendingPurchase = async (orderId: unknown) =>
    typeof orderId === 'string' ? deps.db.purchase.findUnique({ where: { providerOrderId: orderId } }) : null;

  const provider = deps.payments;
  if (provider instanceof TossPaymentProvider) {
    routes.get('/api/payments/toss/checkout', async (req, res) => {
      const purchase = await pendingPurchase(req.query.orderId);
      if (!purchase || purchase.status !== 'pending')
        return toWeb(res, { error: 'PAYMENT_FAILED', reason: 'unknown_order' });
      const order = {
        clientKey: provider.clientKey,
        customerKey: purchase.buyerId,
        amount: { currency: purchase.currency, value: purchase.totalPrice },
        orderId: purchase.providerOrderId,
        orderName: `Style License ${purchase.amountTokens} tokens`,
        successUrl: `${base}/api/payments/toss/success`,
        failUrl: `${base}/api/payments/toss/fail`,
      };
      res.type('html').send(tossCheckoutPage(order));
    });
    // Toss appends paymentKey, orderId and amount; the amount is re-checked against the order.
    routes.get('/api/payments/toss/success', async (req, res) => {
      const { paymentKey, orderId, amount } = req.query;
      if (typeof paymentKey !== 'string' || typeof orderId !== 'string' || typeof amount !== 'string') {
        return toWeb(res, { error: 'PAYMENT_FAILED', reason: 'missing_parameters' });
      }
      await finish(res, { paymentKey, orderId, amount: Number(amount) });
    });
    routes.get('/api/payments/toss/fail', async (req, res) => {
      const { code, orderId } = req.query;
      if (typeof orderId === 'string')
        await abandonPurchase(deps.db, orderId, typeof code === 'string' ? code : 'PAY_PROCESS_ABORTED');
      toWeb(res, { error: 'PAYMENT_FAILED', reason: typeof code === 'string' ? code : 'aborted' });
    });
    // Toss does not sign webhooks: the body only names the payment; Toss's API (with our secret key) says what happened.
    routes.post('/api/webhooks/payments/toss', express.json({ limit: '256kb' }), async (req, res) => {
      const event = req.body as { eventType?: unknown; data?: { paymentKey?: unknown } } | undefined;
      const paymentKey = event?.data?.paymentKey;
      if (
        event?.eventType !== 'PAYMENT_STATUS_CHANGED' ||
        typeof paymentKey !== 'string' ||
        paymentKey.length > 200
      ) {
        return res.status(200).json({ outcome: 'ignored' });
      }
      try {
        res.status(200).json({ outcome: await syncPayment(deps, paymentKey) });
      } catch (error) {
        if (error instanceof PaymentDeclined && !error.transient)
          return res.status(200).json({ outcome: 'unknown_payment' });
        req.log.warn({ err: error }, 'payment webhook not processed; the provider will retry');
        res.status(503).json({ outcome: 'retry' });
      }
    });
  }

  if (provider instanceof SandboxPaymentProvider) {
    routes.get('/api/payments/sandbox/checkout', async (req, res) => {
      const purchase = await pendingPurchase(req.query.orderId);
      if (!purchase || purchase.status !== 'pending')
        return toWeb(res, { error: 'PAYMENT_FAILED', reason: 'unknown_order' });
      res
        .type('html')
        .send(sandboxCheckoutPage(purchase.providerOrderId, purchase.amountTokens, purchase.totalPrice));
    });
    const form = express.urlencoded({ extended: false, limit: '4kb' });
    routes.post('/api/payments/sandbox/approve', form, async (req, res) => {
      const purchase = await pendingPurchase(formField(req.body, 'orderId'));
      if (!purchase) return toWeb(res, { error: 'PAYMENT_FAILED', reason: 'unknown_order' });
      await finish(res, {
        paymentKey: provider.newPaymentKey(),
        orderId: purchase.providerOrderId,
        amount: purchase.totalPrice,
      });
    });
    routes.post('/api/payments/sandbox/decline', form, async (req, res) => {
      const orderId = formField(req.body, 'orderId');
      if (orderId) await abandonPurchase(deps.db, orderId, 'PAY_PROCESS_CANCELED');
      toWeb(res, { error: 'PAYMENT_FAILED', reason: 'PAY_PROCESS_CANCELED' });
    });
  }
  return routes;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const scriptJson = (value: unknown) => JSON.stringify(value).replace(/</g, '\\u003c');

function tossCheckoutPage(order: Record<string, unknown>): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Style License checkout</title>
<script src="https://js.tosspayments.com/v2/standard"></script></head><body>
<p>Opening Toss Payments…</p>
<script>
const order = ${scriptJson(order)};
const payment = TossPayments(order.clientKey).payment({ customerKey: order.customerKey });
payment.requestPayment({ method: 'CARD', amount: order.amount, orderId: order.orderId, orderName: order.orderName,
  successUrl: order.successUrl, failUrl: order.failUrl });
</script></body></html>`;
}

function sandboxCheckoutPage(orderId: string, tokens: number, price: number): string {
  const id = escapeHtml(orderId);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Sandbox checkout</title></head>
<body style="font-family: system-ui; max-width: 28rem; margin: 4rem auto">
<h1>Sandbox checkout</h1>
<p>No money moves here: this is the development payment provider.</p>
<p><strong>${tokens} tokens</strong> for <strong>₩${price.toLocaleString('en-US')}</strong></p>
<form method="post" action="approve"><input type="hidden" name="orderId" value="${id}"><button>Approve payment</button></form>
<form method="post" action="decline"><input type="hidden" name="orderId" value="${id}"><button>Decline</button></form>
</body></html>`;
}

/** A string field of a parsed form body, or undefined. */
function formField(body: unknown, name: string): string | undefined {
  const value =
    typeof body === 'object' && body !== null ? (body as Record<string, unknown>)[name] : undefined;
  return typeof value === 'string' ? value : undefined;
}
