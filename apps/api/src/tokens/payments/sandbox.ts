import { randomBytes } from 'node:crypto';
import type { PaymentProvider, ProviderPayment } from './provider';
import { PaymentDeclined } from './provider';

/**
 * Development and the embedded default: a local checkout page (served by the API) with Approve and
 * Decline buttons. Approving mints a payment key and goes through the same confirm path as Toss,
 * so the purchase, the ledger credit and its exactly-once rules are exercised for real.
 */
export class SandboxPaymentProvider implements PaymentProvider {
  readonly name = 'sandbox' as const;
  private readonly approved = new Map<string, ProviderPayment>();

  constructor(private readonly publicUrl: string) {}

  checkoutUrl(orderId: string): string {
    return `${this.publicUrl.replace(/\/+$/, '')}/api/payments/sandbox/checkout?orderId=${encodeURIComponent(orderId)}`;
  }

  /** A payment key for an approval on the sandbox page. */
  newPaymentKey(): string {
    return `sandbox_${randomBytes(16).toString('hex')}`;
  }

  async confirm({
    paymentKey,
    orderId,
    amount,
  }: {
    paymentKey: string;
    orderId: string;
    amount: number;
  }): Promise<ProviderPayment> {
    if (!paymentKey.startsWith('sandbox_'))
      throw new PaymentDeclined('NOT_FOUND_PAYMENT', 'Unknown sandbox payment key.');
    const previous = this.approved.get(paymentKey);
    if (previous && previous.orderId !== orderId)
      throw new PaymentDeclined('ALREADY_PROCESSED_PAYMENT', 'This payment was already processed.');
    const payment: ProviderPayment = previous ?? {
      paymentKey,
      orderId,
      status: 'paid',
      providerStatus: 'DONE',
      amount,
      currency: 'KRW',
      approvedAt: new Date(),
      receiptUrl: null,
      failure: null,
      raw: { sandbox: true, paymentKey, orderId, amount },
    };
    this.approved.set(paymentKey, payment);
    return payment;
  }

  async fetchPayment(paymentKey: string): Promise<ProviderPayment> {
    const payment = this.approved.get(paymentKey);
    if (!payment) throw new PaymentDeclined('NOT_FOUND_PAYMENT', 'Unknown sandbox payment key.');
    return payment;
  }
}
