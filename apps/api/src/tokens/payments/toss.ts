import type { PaymentProvider, ProviderPayment } from './provider';
import { PaymentDeclined } from './provider';

export interface TossOptions {
  clientKey: string;
  secretKey: string;
  /** https://api.tosspayments.com (a loopback server in tests). */
  apiBaseUrl: string;
  /** This API's public URL: the checkout page and the success/fail return routes live under it. */
  publicUrl: string;
  timeoutMs?: number;
}

/** Toss Payments' Payment object, the fields we read. */
interface TossPayment {
  paymentKey: string;
  orderId: string;
  status: string;
  totalAmount: number;
  currency?: string;
  approvedAt?: string | null;
  receipt?: { url?: string | null } | null;
  failure?: { code: string; message: string } | null;
}

const PAID = new Set(['DONE']);
const FAILED = new Set(['ABORTED', 'EXPIRED', 'CANCELED', 'PARTIAL_CANCELED']);

/**
 * Toss Payments (https://docs.tosspayments.com): the buyer pays in Toss's payment window on our
 * checkout page; Toss returns to our success URL with paymentKey/orderId/amount; we confirm with
 * `POST /v1/payments/confirm` authenticated by Basic auth of the secret key. Errors come back as
 * `{ code, message }` with a 4xx/5xx status.
 */
export class TossPaymentProvider implements PaymentProvider {
  readonly name = 'toss' as const;
  private readonly authorization: string;
  private readonly base: string;

  constructor(private readonly options: TossOptions) {
    this.authorization = `Basic ${Buffer.from(`${options.secretKey}:`).toString('base64')}`;
    this.base = options.apiBaseUrl.replace(/\/+$/, '');
  }

  checkoutUrl(orderId: string): string {
    return `${this.options.publicUrl.replace(/\/+$/, '')}/api/payments/toss/checkout?orderId=${encodeURIComponent(orderId)}`;
  }

  get clientKey(): string {
    return this.options.clientKey;
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
    // Toss honours Idempotency-Key on POSTs: a retried confirm answers with the first result.
    return this.request(
      'POST',
      '/v1/payments/confirm',
      { paymentKey, orderId, amount },
      `confirm-${paymentKey}`,
    );
  }

  async fetchPayment(paymentKey: string): Promise<ProviderPayment> {
    return this.request('GET', `/v1/payments/${encodeURIComponent(paymentKey)}`);
  }

  private async request(
    method: 'GET' | 'POST',
    path: string,
    body?: unknown,
    idempotencyKey?: string,
  ): Promise<ProviderPayment> {
    let response: Response;
    try {
      response = await fetch(`${this.base}${path}`, {
        method,
        headers: {
          Authorization: this.authorization,
          ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
          ...(idempotencyKey ? { 'Idempotency-Key': idempotencyKey.slice(0, 300) } : {}),
        },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 30_000),
      });
    } catch (error) {
      throw new PaymentDeclined(
        'PROVIDER_UNREACHABLE',
        `Toss Payments could not be reached: ${(error as Error).message}`,
        true,
      );
    }
    const text = await response.text();
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch {
      throw new PaymentDeclined(
        'PROVIDER_ERROR',
        `Toss Payments answered ${response.status} with a non-JSON body`,
        true,
      );
    }
    if (!response.ok) {
      const { code = 'PROVIDER_ERROR', message = `HTTP ${response.status}` } = (json ?? {}) as {
        code?: string;
        message?: string;
      };
      throw new PaymentDeclined(code, message, response.status >= 500 || code === 'PROVIDER_ERROR');
    }
    return toProviderPayment(json as TossPayment);
  }
}

function toProviderPayment(payment: TossPayment): ProviderPayment {
  return {
    paymentKey: payment.paymentKey,
    orderId: payment.orderId,
    status: PAID.has(payment.status) ? 'paid' : FAILED.has(payment.status) ? 'failed' : 'pending',
    providerStatus: payment.status,
    amount: payment.totalAmount,
    currency: payment.currency ?? 'KRW',
    approvedAt: payment.approvedAt ? new Date(payment.approvedAt) : null,
    receiptUrl: payment.receipt?.url ?? null,
    failure: payment.failure ?? null,
    raw: payment,
  };
}
