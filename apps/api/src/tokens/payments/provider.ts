/**
 * A payment provider as the purchase flow needs it: where the buyer pays, the server-side confirm
 * (the moment money moves), and an authoritative read of a payment (to verify webhooks, which the
 * provider does not sign). Amounts are whole KRW.
 */
export interface PaymentProvider {
  readonly name: 'toss' | 'sandbox';
  /** The page the buyer is sent to for this order. */
  checkoutUrl(orderId: string): string;
  /** Approves the payment the buyer authorised; throws PaymentDeclined when the provider refuses. */
  confirm(request: { paymentKey: string; orderId: string; amount: number }): Promise<ProviderPayment>;
  /** The provider's current record of a payment; throws PaymentDeclined (NOT_FOUND_PAYMENT) when unknown. */
  fetchPayment(paymentKey: string): Promise<ProviderPayment>;
}

export interface ProviderPayment {
  paymentKey: string;
  orderId: string;
  /** paid = money captured; pending = not final yet; failed = aborted, expired or canceled. */
  status: 'paid' | 'pending' | 'failed';
  /** The provider's own status word (DONE, ABORTED, EXPIRED…). */
  providerStatus: string;
  amount: number;
  currency: string;
  approvedAt: Date | null;
  receiptUrl: string | null;
  failure: { code: string; message: string } | null;
  /** The provider's payment object as received, kept on the purchase for support. */
  raw: unknown;
}

/** The provider refused or could not be reached; `code` is the provider's (e.g. REJECT_CARD_PAYMENT). */
export class PaymentDeclined extends Error {
  override readonly name = 'PaymentDeclined';
  constructor(
    readonly code: string,
    message: string,
    /** True when retrying later may succeed (provider outage, network). */
    readonly transient = false,
  ) {
    super(message);
  }
}
