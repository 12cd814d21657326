import { setTimeout as sleep } from 'node:timers/promises';
import { DomainError, newWebhookId, parseWebhookSecret, webhookHeaders } from '@stylelicense/contracts';

export interface WebhookRetryPolicy {
  /** Total tries, the first included. */
  maxAttempts: number;
  initialDelayMs: number;
  maxDelayMs: number;
}

export const DEFAULT_WEBHOOK_RETRY: WebhookRetryPolicy = {
  maxAttempts: 6,
  initialDelayMs: 500,
  maxDelayMs: 15_000,
};

export interface WebhookSenderOptions {
  /** The API's origin, e.g. `http://127.0.0.1:3000`. */
  baseUrl: string;
  /** `whsec_…` secret of this source. */
  secret: string;
  /** Which worker is speaking (`training`, `inference`); sent as `webhook-source`. */
  source: string;
  fetch?: typeof fetch;
  retry?: Partial<WebhookRetryPolicy>;
  requestTimeoutMs?: number;
}

/** The API's answer to a delivered webhook. */
export interface WebhookDelivery {
  webhookId: string;
  status: number;
  attempts: number;
  /** The answer's JSON body; undefined when it is empty or not JSON. */
  body: unknown;
}

export interface WebhookSender {
  /**
   * Signs and POSTs `payload` as JSON. One webhook id per logical event, reused by every
   * retry so the receiver can deduplicate; pass `webhookId` to keep it across restarts.
   * Resolves to the API's 2xx answer.
   */
  send(path: string, payload: unknown, options?: { webhookId?: string }): Promise<WebhookDelivery>;
}

/** Statuses worth another try: the API is overloaded, restarting or timed out. */
function isRetryableStatus(status: number): boolean {
  return status >= 500 || status === 429 || status === 408;
}

/** Exponential back-off with full jitter, honouring Retry-After when the server sends one. */
function backoffMs(policy: WebhookRetryPolicy, attempt: number, retryAfter: string | null): number {
  const retryAfterSeconds = retryAfter === null ? Number.NaN : Number(retryAfter);
  if (Number.isFinite(retryAfterSeconds) && retryAfterSeconds >= 0) {
    return Math.min(policy.maxDelayMs, retryAfterSeconds * 1000);
  }
  const ceiling = Math.min(policy.maxDelayMs, policy.initialDelayMs * 2 ** (attempt - 1));
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

function parseJson(text: string): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function createWebhookSender(options: WebhookSenderOptions): WebhookSender {
  parseWebhookSecret(options.secret); // fail at start-up, not on the first result
  const policy: WebhookRetryPolicy = { ...DEFAULT_WEBHOOK_RETRY, ...options.retry };
  const fetchImpl = options.fetch ?? fetch;
  const timeoutMs = options.requestTimeoutMs ?? 10_000;
  const base = options.baseUrl.replace(/\/+$/, '');

  async function send(
    path: string,
    payload: unknown,
    sendOptions?: { webhookId?: string },
  ): Promise<WebhookDelivery> {
    const webhookId = sendOptions?.webhookId ?? newWebhookId();
    const body = JSON.stringify(payload);
    const url = `${base}${path.startsWith('/') ? path : `/${path}`}`;
    let lastProblem = '';

    for (let attempt = 1; attempt <= policy.maxAttempts; attempt += 1) {
      let retryAfter: string | null = null;
      try {
        // Signed afresh each try: the timestamp must stay inside the receiver's window.
        const headers = webhookHeaders({ secret: options.secret, id: webhookId, body });
        const response = await fetchImpl(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'webhook-source': options.source, ...headers },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await response.text().catch(() => '');
        if (response.ok)
          return { webhookId, status: response.status, attempts: attempt, body: parseJson(text) };
        if (!isRetryableStatus(response.status)) {
          throw new DomainError(
            'WEBHOOK_REJECTED',
            `webhook ${path} rejected with HTTP ${response.status}: ${text.slice(0, 500)}`,
            {
              webhookId,
              path,
              status: response.status,
              body: text.slice(0, 2000),
            },
          );
        }
        retryAfter = response.headers.get('retry-after');
        lastProblem = `HTTP ${response.status}`;
      } catch (error) {
        if (error instanceof DomainError) throw error;
        lastProblem = error instanceof Error ? `${error.name}: ${error.message}` : String(error);
      }
      if (attempt < policy.maxAttempts) await sleep(backoffMs(policy, attempt, retryAfter));
    }

    throw new DomainError(
      'WEBHOOK_DELIVERY_FAILED',
      `webhook ${path} not delivered after ${policy.maxAttempts} attempts (${lastProblem})`,
      { webhookId, path, attempts: policy.maxAttempts, lastProblem },
    );
  }

  return { send };
}
