import { DomainError } from '@stylelicense/contracts';
import { withTransaction, type Database, type Prisma, type Purchase } from '@stylelicense/db';
import type { Viewer } from '../common/viewer';
import type { Logger } from '../logger';
import { creditPurchase } from './ledger';
import { PaymentDeclined, type PaymentProvider, type ProviderPayment } from './payments/provider';

export interface PurchaseDeps {
  db: Database;
  payments: PaymentProvider;
  log: Logger;
}

export interface ConfirmedPurchase {
  purchaseId: string;
  orderId: string;
  status: 'paid';
  tokens: number;
  /** False when this payment had already been credited (a repeated confirmation or webhook). */
  credited: boolean;
  tokenBalance: number;
}

function paymentFailed(message: string, details: Record<string, unknown>): DomainError {
  return new DomainError('PAYMENT_FAILED', message, details);
}

/**
 * The buyer came back from checkout with a payment key: check the order against the server's price,
 * confirm with the provider, then mark the purchase paid and credit the tokens — once per payment
 * key however many times this runs. Failed and expired purchases never credit.
 */
export async function confirmPurchase(
  deps: PurchaseDeps,
  viewer: Viewer | null,
  { paymentKey, orderId, amount }: { paymentKey: string; orderId: string; amount: number },
): Promise<ConfirmedPurchase> {
  // From checkout's redirect nobody is signed in on the request; the web app's confirmation names the buyer.
  const buyerId = viewer?.userId;
  const purchase = await deps.db.purchase.findUnique({ where: { providerOrderId: orderId } });
  if (!purchase || (buyerId && purchase.buyerId !== buyerId))
    throw paymentFailed('No such order.', { orderId, reason: 'unknown_order' });
  if (purchase.status === 'paid') return alreadyPaid(deps.db, purchase, paymentKey);
  assertPayable(purchase);
  if (purchase.expiresAt.getTime() <= Date.now()) {
    await markUnpaid(deps.db, purchase.id, 'expired', 'EXPIRED', null);
    throw paymentFailed('This checkout expired; start a new purchase.', { orderId, reason: 'expired' });
  }
  if (amount !== purchase.totalPrice) {
    // Never ask the provider to capture a price the server did not set.
    await markUnpaid(deps.db, purchase.id, 'failed', 'AMOUNT_MISMATCH', { paymentKey, amount });
    throw paymentFailed('The amount does not match the package price.', {
      orderId,
      reason: 'amount_mismatch',
      expected: purchase.totalPrice,
      amount,
    });
  }
  let payment: ProviderPayment;
  try {
    payment = await deps.payments.confirm({ paymentKey, orderId, amount: purchase.totalPrice });
  } catch (error) {
    if (!(error instanceof PaymentDeclined)) throw error;
    if (error.code === 'ALREADY_PROCESSED_PAYMENT') {
      payment = await deps.payments.fetchPayment(paymentKey);
    } else {
      if (!error.transient)
        await markUnpaid(deps.db, purchase.id, 'failed', error.code, { message: error.message });
      throw paymentFailed(error.message, { orderId, reason: 'declined', providerCode: error.code });
    }
  }
  return applyProviderPayment(deps, purchase, payment);
}

/**
 * A provider's notification (webhook) about `paymentKey`: the body is not trusted; the provider's
 * own record decides. Paid → credit once; failed → mark failed. Returns what happened.
 */
export async function syncPayment(
  deps: PurchaseDeps,
  paymentKey: string,
): Promise<'credited' | 'already_credited' | 'failed' | 'pending' | 'unknown_order'> {
  const payment = await deps.payments.fetchPayment(paymentKey);
  const purchase = await deps.db.purchase.findUnique({ where: { providerOrderId: payment.orderId } });
  if (!purchase) return 'unknown_order';
  if (payment.status === 'pending') return 'pending';
  if (payment.status === 'failed') {
    if (purchase.status === 'paid') {
      deps.log.error(
        { orderId: purchase.providerOrderId, providerStatus: payment.providerStatus },
        'paid purchase reported failed/canceled by the provider',
      );
      return 'failed';
    }
    await markUnpaid(
      deps.db,
      purchase.id,
      payment.providerStatus === 'EXPIRED' ? 'expired' : 'failed',
      payment.failure?.code ?? payment.providerStatus,
      payment.raw,
    );
    return 'failed';
  }
  try {
    const result = await applyProviderPayment(deps, purchase, payment);
    return result.credited ? 'credited' : 'already_credited';
  } catch (error) {
    if (error instanceof DomainError && error.code === 'PAYMENT_FAILED') return 'failed';
    throw error;
  }
}

/** The provider says `payment` is settled: verify it matches the order, then mark paid + credit in one transaction. */
async function applyProviderPayment(
  deps: PurchaseDeps,
  purchase: Purchase,
  payment: ProviderPayment,
): Promise<ConfirmedPurchase> {
  if (
    payment.orderId !== purchase.providerOrderId ||
    payment.amount !== purchase.totalPrice ||
    payment.currency !== purchase.currency
  ) {
    deps.log.error(
      { orderId: purchase.providerOrderId, paymentKey: payment.paymentKey, amount: payment.amount },
      'provider payment does not match the order',
    );
    if (purchase.status !== 'paid')
      await markUnpaid(deps.db, purchase.id, 'failed', 'AMOUNT_MISMATCH', payment.raw);
    throw paymentFailed('The payment does not match the order.', {
      orderId: purchase.providerOrderId,
      reason: 'amount_mismatch',
    });
  }
  if (payment.status !== 'paid') {
    throw paymentFailed(`The payment is not complete (${payment.providerStatus}).`, {
      orderId: purchase.providerOrderId,
      reason: 'not_paid',
    });
  }
  return withTransaction(deps.db, async (tx) => {
    // Conditional: only a pending/authorized purchase turns paid; a failed or expired one never credits.
    const turned = await tx.purchase.updateMany({
      where: { id: purchase.id, status: { in: ['pending', 'authorized'] } },
      data: {
        status: 'paid',
        providerPaymentKey: payment.paymentKey,
        approvedAt: payment.approvedAt ?? new Date(),
        receiptUrl: payment.receiptUrl,
        providerDetails: payment.raw as Prisma.InputJsonValue,
      },
    });
    const current = await tx.purchase.findUniqueOrThrow({ where: { id: purchase.id } });
    if (
      turned.count === 0 &&
      (current.status !== 'paid' || current.providerPaymentKey !== payment.paymentKey)
    ) {
      throw paymentFailed(`This purchase is ${current.status}.`, {
        orderId: current.providerOrderId,
        reason: current.status,
      });
    }
    const credit = await creditPurchase(tx, {
      purchaseId: current.id,
      userId: current.buyerId,
      amount: current.amountTokens,
      pricePerToken: current.pricePerToken,
      currency: current.currency,
      paymentKey: payment.paymentKey,
    });
    const buyer = await tx.user.findUniqueOrThrow({
      where: { id: current.buyerId },
      select: { tokenBalance: true },
    });
    return {
      purchaseId: current.id,
      orderId: current.providerOrderId,
      status: 'paid' as const,
      tokens: current.amountTokens,
      credited: credit.applied,
      tokenBalance: buyer.tokenBalance,
    };
  });
}

async function alreadyPaid(db: Database, purchase: Purchase, paymentKey: string): Promise<ConfirmedPurchase> {
  if (purchase.providerPaymentKey !== paymentKey) {
    throw paymentFailed('This order was paid with another payment.', {
      orderId: purchase.providerOrderId,
      reason: 'paid',
    });
  }
  const buyer = await db.user.findUniqueOrThrow({
    where: { id: purchase.buyerId },
    select: { tokenBalance: true },
  });
  return {
    purchaseId: purchase.id,
    orderId: purchase.providerOrderId,
    status: 'paid',
    tokens: purchase.amountTokens,
    credited: false,
    tokenBalance: buyer.tokenBalance,
  };
}

function assertPayable(purchase: Purchase): void {
  if (purchase.status === 'failed' || purchase.status === 'expired') {
    throw paymentFailed(`This purchase is ${purchase.status}; start a new one.`, {
      orderId: purchase.providerOrderId,
      reason: purchase.status,
    });
  }
}

/** pending/authorized → failed|expired; never touches a paid purchase. */
async function markUnpaid(
  db: Database,
  purchaseId: string,
  status: 'failed' | 'expired',
  failureCode: string,
  details: unknown,
): Promise<void> {
  await db.purchase.updateMany({
    where: { id: purchaseId, status: { in: ['pending', 'authorized'] } },
    data: {
      status,
      failureCode: failureCode.slice(0, 100),
      ...(details ? { providerDetails: details } : {}),
    },
  });
}

/** The buyer left or the provider's window failed (fail URL / sandbox decline): the order never credits. */
export async function abandonPurchase(db: Database, orderId: string, code: string): Promise<void> {
  const purchase = await db.purchase.findUnique({
    where: { providerOrderId: orderId },
    select: { id: true },
  });
  if (purchase) await markUnpaid(db, purchase.id, 'failed', code, null);
}

/** Pending purchases past their 15 minutes become expired; returns how many. */
export async function expireStalePurchases(db: Database, now = new Date()): Promise<number> {
  const { count } = await db.purchase.updateMany({
    where: { status: 'pending', expiresAt: { lte: now } },
    data: { status: 'expired' },
  });
  return count;
}
