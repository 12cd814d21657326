import { createHmac, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { DomainError } from '../errors';

// Standard Webhooks (standardwebhooks.com): HMAC-SHA256 over `id.timestamp.body`,
// sent as `webhook-signature: v1,<base64>`. Hand-written on node:crypto so failures carry
// our stable reason codes and verification runs on the native HMAC.

const SECRET_PREFIX = 'whsec_';
export const WEBHOOK_TOLERANCE_SECONDS = 5 * 60;

export interface WebhookHeaders {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
}

/** Decodes a `whsec_<base64>` secret to its key bytes (24–64 bytes, as the scheme asks). */
export function parseWebhookSecret(secret: string): Buffer {
  if (!secret.startsWith(SECRET_PREFIX)) {
    throw new DomainError('VALIDATION_ERROR', `webhook secret must look like ${SECRET_PREFIX}<base64>`);
  }
  const encoded = secret.slice(SECRET_PREFIX.length);
  const key = Buffer.from(encoded, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded) || key.length < 24 || key.length > 64) {
    throw new DomainError(
      'VALIDATION_ERROR',
      'webhook secret must be 24–64 bytes of base64 after the whsec_ prefix',
    );
  }
  return key;
}

export function generateWebhookSecret(): string {
  return SECRET_PREFIX + randomBytes(32).toString('base64');
}

export function newWebhookId(): string {
  return `msg_${randomUUID().replaceAll('-', '')}`;
}

function bodyBytes(body: string | Uint8Array): Buffer {
  return typeof body === 'string'
    ? Buffer.from(body, 'utf8')
    : Buffer.from(body.buffer, body.byteOffset, body.byteLength);
}

function hmac(key: Buffer, id: string, timestamp: string, body: string | Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`).update(bodyBytes(body)).digest();
}

/** `v1,<base64 HMAC-SHA256 of id.timestamp.body>` */
export function signWebhook(input: {
  secret: string;
  id: string;
  timestamp: number;
  body: string | Uint8Array;
}): string {
  const key = parseWebhookSecret(input.secret);
  return `v1,${hmac(key, input.id, String(input.timestamp), input.body).toString('base64')}`;
}

/** The three headers for one delivery; `timestamp` is Unix seconds (defaults to now). */
export function webhookHeaders(input: {
  secret: string;
  id: string;
  body: string | Uint8Array;
  timestamp?: number;
}): WebhookHeaders {
  const timestamp = input.timestamp ?? Math.floor(Date.now() / 1000);
  return {
    'webhook-id': input.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signWebhook({ secret: input.secret, id: input.id, timestamp, body: input.body }),
  };
}

type HeaderSource = Headers | WebhookHeaders | Record<string, string | string[] | undefined>;

function readHeader(headers: HeaderSource, name: string): string | undefined {
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const record = headers as Record<string, string | string[] | undefined>;
  const value = record[name] ?? Object.entries(record).find(([key]) => key.toLowerCase() === name)?.[1];
  return Array.isArray(value) ? value[0] : value;
}

export interface VerifiedWebhook {
  id: string;
  timestamp: number;
}

/**
 * Verifies a delivery against the raw body bytes. Throws DomainError with
 * WEBHOOK_HEADERS_MISSING, WEBHOOK_TIMESTAMP_STALE (older or newer than the tolerance)
 * or WEBHOOK_SIGNATURE_INVALID. Several secrets may be given while one is being rotated.
 */
export function verifyWebhook(input: {
  secret: string | readonly string[];
  headers: HeaderSource;
  body: string | Uint8Array;
  now?: number;
  toleranceSeconds?: number;
}): VerifiedWebhook {
  const id = readHeader(input.headers, 'webhook-id');
  const timestampText = readHeader(input.headers, 'webhook-timestamp');
  const signatureHeader = readHeader(input.headers, 'webhook-signature');
  const missing = [
    ['webhook-id', id],
    ['webhook-timestamp', timestampText],
    ['webhook-signature', signatureHeader],
  ]
    .filter(([, value]) => !value)
    .map(([name]) => name);
  if (missing.length > 0 || !id || !timestampText || !signatureHeader) {
    throw new DomainError('WEBHOOK_HEADERS_MISSING', `missing webhook headers: ${missing.join(', ')}`, {
      missing,
    });
  }
  if (!/^\d{1,12}$/.test(timestampText)) {
    throw new DomainError('WEBHOOK_HEADERS_MISSING', 'webhook-timestamp must be Unix time in whole seconds');
  }

  const timestamp = Number(timestampText);
  const nowSeconds = Math.floor((input.now ?? Date.now()) / 1000);
  const tolerance = input.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  if (Math.abs(nowSeconds - timestamp) > tolerance) {
    throw new DomainError(
      'WEBHOOK_TIMESTAMP_STALE',
      `webhook timestamp is ${nowSeconds - timestamp} s away from now (tolerance ±${tolerance} s)`,
      { timestamp, now: nowSeconds },
    );
  }

  const offered = signatureHeader
    .split(' ')
    .filter((part) => part.startsWith('v1,'))
    .map((part) => Buffer.from(part.slice(3), 'base64'));
  const secrets = typeof input.secret === 'string' ? [input.secret] : input.secret;
  for (const secret of secrets) {
    const expected = hmac(parseWebhookSecret(secret), id, timestampText, input.body);
    // Compare against every offered signature so timing does not reveal which one matched.
    let matched = false;
    for (const candidate of offered) {
      if (candidate.length === expected.length && timingSafeEqual(candidate, expected)) matched = true;
    }
    if (matched) return { id, timestamp };
  }
  throw new DomainError('WEBHOOK_SIGNATURE_INVALID', 'no webhook signature matches the body');
}
