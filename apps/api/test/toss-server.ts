import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

interface TossPayment {
  paymentKey: string;
  orderId: string;
  status: string;
  totalAmount: number;
  balanceAmount: number;
  currency: string;
  method: string | null;
  requestedAt: string;
  approvedAt: string | null;
  receipt: { url: string } | null;
  failure: { code: string; message: string } | null;
  version: string;
}

/**
 * A loopback stand-in for Toss Payments' API (https://docs.tosspayments.com/reference): Basic auth
 * with the secret key, `POST /v1/payments/confirm` (paymentKey, orderId, amount) answering a
 * Payment object, `GET /v1/payments/{paymentKey}`, errors as `{ code, message }` with a 4xx status,
 * ALREADY_PROCESSED_PAYMENT on a second confirm, and Idempotency-Key replay.
 */
export class FakeToss {
  private server!: Server;
  url = '';
  readonly payments = new Map<string, TossPayment>();
  /** paymentKey → the error the card issuer answers on confirm. */
  readonly declines = new Map<string, { status: number; code: string; message: string }>();
  private readonly replies = new Map<string, { status: number; body: unknown }>();
  confirmCalls = 0;

  constructor(readonly secretKey: string) {}

  /** The buyer finished Toss's payment window for this order: a payment awaits our confirm. */
  authorize(orderId: string, amount: number): string {
    const paymentKey = `tgen_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
    this.payments.set(paymentKey, {
      paymentKey,
      orderId,
      status: 'IN_PROGRESS',
      totalAmount: amount,
      balanceAmount: amount,
      currency: 'KRW',
      method: '카드',
      requestedAt: new Date().toISOString(),
      approvedAt: null,
      receipt: null,
      failure: null,
      version: '2022-11-16',
    });
    return paymentKey;
  }

  setStatus(paymentKey: string, status: string): void {
    this.payments.get(paymentKey)!.status = status;
  }

  async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let raw = '';
      req.on('data', (chunk) => (raw += chunk));
      req.on('end', () => {
        const reply = (status: number, body: unknown) => {
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
          return { status, body };
        };
        if (req.headers.authorization !== `Basic ${Buffer.from(`${this.secretKey}:`).toString('base64')}`) {
          return reply(401, {
            code: 'UNAUTHORIZED_KEY',
            message: '인증되지 않은 시크릿 키 혹은 클라이언트 키 입니다.',
          });
        }
        if (req.method === 'GET' && req.url?.startsWith('/v1/payments/')) {
          const payment = this.payments.get(decodeURIComponent(req.url.slice('/v1/payments/'.length)));
          return payment
            ? reply(200, payment)
            : reply(404, { code: 'NOT_FOUND_PAYMENT', message: '존재하지 않는 결제 정보 입니다.' });
        }
        if (req.method === 'POST' && req.url === '/v1/payments/confirm') {
          const key = req.headers['idempotency-key'];
          const replay = typeof key === 'string' ? this.replies.get(key) : undefined;
          if (replay) return reply(replay.status, replay.body);
          this.confirmCalls++;
          const answer = this.confirm(JSON.parse(raw || '{}'));
          const sent = reply(answer.status, answer.body);
          if (typeof key === 'string') this.replies.set(key, sent);
          return;
        }
        reply(404, { code: 'NOT_FOUND', message: 'not found' });
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  private confirm({
    paymentKey,
    orderId,
    amount,
  }: {
    paymentKey?: string;
    orderId?: string;
    amount?: number;
  }) {
    const payment = paymentKey ? this.payments.get(paymentKey) : undefined;
    if (!payment || payment.orderId !== orderId)
      return { status: 404, body: { code: 'NOT_FOUND_PAYMENT', message: '존재하지 않는 결제 정보 입니다.' } };
    if (payment.status === 'DONE')
      return {
        status: 400,
        body: { code: 'ALREADY_PROCESSED_PAYMENT', message: '이미 처리된 결제 입니다.' },
      };
    if (payment.totalAmount !== amount)
      return { status: 400, body: { code: 'INVALID_REQUEST', message: '잘못된 요청입니다.' } };
    const decline = this.declines.get(payment.paymentKey);
    if (decline) {
      payment.status = 'ABORTED';
      payment.failure = { code: decline.code, message: decline.message };
      return { status: decline.status, body: { code: decline.code, message: decline.message } };
    }
    payment.status = 'DONE';
    payment.approvedAt = new Date().toISOString();
    payment.receipt = {
      url: `https://dashboard.tosspayments.com/receipt/redirection?transactionId=${payment.paymentKey}`,
    };
    return { status: 200, body: payment };
  }

  async stop(): Promise<void> {
    await new Promise((resolve) => this.server.close(resolve));
  }
}
