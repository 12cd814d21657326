import { describe, expect, it } from 'vitest';
import { DomainError, generateWebhookSecret, signWebhook, verifyWebhook, webhookHeaders } from '../src';

// Vector from the Standard Webhooks reference material, re-computed independently with
// `openssl dgst -sha256 -mac HMAC -macopt hexkey:<secret bytes>` over "id.timestamp.body".
const vector = {
  secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw',
  id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
  timestamp: 1614265330,
  body: '{"test": 2432232314}',
  signature: 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=',
};
const vectorNow = vector.timestamp * 1000;

function reason(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    if (error instanceof DomainError) return error.code;
    throw error;
  }
  return 'VERIFIED';
}

const vectorHeaders = {
  'webhook-id': vector.id,
  'webhook-timestamp': String(vector.timestamp),
  'webhook-signature': vector.signature,
};

describe('Standard Webhooks signatures', () => {
  it('matches the known vector', () => {
    expect(signWebhook(vector)).toBe(vector.signature);
    expect(
      verifyWebhook({ secret: vector.secret, headers: vectorHeaders, body: vector.body, now: vectorNow }),
    ).toEqual({
      id: vector.id,
      timestamp: vector.timestamp,
    });
  });

  it('verifies bytes and Fetch Headers as well as strings and records', () => {
    const headers = new Headers(vectorHeaders);
    const body = new TextEncoder().encode(vector.body);
    expect(reason(() => verifyWebhook({ secret: vector.secret, headers, body, now: vectorNow }))).toBe(
      'VERIFIED',
    );
  });

  it('rejects a changed body, id or secret', () => {
    const verify = (overrides: Partial<{ body: string; secret: string; id: string }>) =>
      reason(() =>
        verifyWebhook({
          secret: overrides.secret ?? vector.secret,
          headers: { ...vectorHeaders, 'webhook-id': overrides.id ?? vector.id },
          body: overrides.body ?? vector.body,
          now: vectorNow,
        }),
      );
    expect(verify({ body: '{"test": 2432232315}' })).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect(verify({ id: 'msg_other' })).toBe('WEBHOOK_SIGNATURE_INVALID');
    expect(verify({ secret: generateWebhookSecret() })).toBe('WEBHOOK_SIGNATURE_INVALID');
  });

  it('accepts any one of several signatures and any one of several secrets', () => {
    const headers = { ...vectorHeaders, 'webhook-signature': `v1,bm90IGl0 v2,whatever ${vector.signature}` };
    expect(
      reason(() => verifyWebhook({ secret: vector.secret, headers, body: vector.body, now: vectorNow })),
    ).toBe('VERIFIED');
    const rotated = [generateWebhookSecret(), vector.secret];
    expect(
      reason(() =>
        verifyWebhook({ secret: rotated, headers: vectorHeaders, body: vector.body, now: vectorNow }),
      ),
    ).toBe('VERIFIED');
  });

  it('refuses timestamps more than five minutes away in either direction', () => {
    const at = (offsetSeconds: number) =>
      reason(() =>
        verifyWebhook({
          secret: vector.secret,
          headers: vectorHeaders,
          body: vector.body,
          now: vectorNow + offsetSeconds * 1000,
        }),
      );
    expect(at(299)).toBe('VERIFIED');
    expect(at(-299)).toBe('VERIFIED');
    expect(at(301)).toBe('WEBHOOK_TIMESTAMP_STALE');
    expect(at(-301)).toBe('WEBHOOK_TIMESTAMP_STALE');
  });

  it('names the missing headers', () => {
    try {
      verifyWebhook({ secret: vector.secret, headers: { 'webhook-id': vector.id }, body: vector.body });
      throw new Error('should fail');
    } catch (error) {
      expect((error as DomainError).code).toBe('WEBHOOK_HEADERS_MISSING');
      expect((error as DomainError).message).toBe(
        'missing webhook headers: webhook-timestamp, webhook-signature',
      );
    }
    expect(
      reason(() =>
        verifyWebhook({
          secret: vector.secret,
          headers: { ...vectorHeaders, 'webhook-timestamp': '1.5e9' },
          body: '',
        }),
      ),
    ).toBe('WEBHOOK_HEADERS_MISSING');
  });

  it('signs fresh headers that verify now and refuses malformed secrets', () => {
    const secret = generateWebhookSecret();
    const headers = webhookHeaders({ secret, id: 'msg_1', body: '{}' });
    expect(reason(() => verifyWebhook({ secret, headers, body: '{}' }))).toBe('VERIFIED');
    expect(reason(() => signWebhook({ secret: 'plain-secret', id: 'x', timestamp: 1, body: '' }))).toBe(
      'VALIDATION_ERROR',
    );
    expect(reason(() => signWebhook({ secret: 'whsec_c2hvcnQ=', id: 'x', timestamp: 1, body: '' }))).toBe(
      'VALIDATION_ERROR',
    );
  });
});
