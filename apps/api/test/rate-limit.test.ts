import { randomBytes } from 'node:crypto';
import { testServices } from '@stylelicense/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryRateLimitStore, RedisRateLimitStore, type RateLimitStore } from '../src/platform/rate-limits';
import { startTestApi, type TestApi } from './harness';
import { Browser } from './http-client';

const REDIS_URL = testServices.redis.url;
const rule = { limit: 3, windowMs: 10_000 };

describe.each([
  ['memory', () => new MemoryRateLimitStore()],
  ['redis', () => new RedisRateLimitStore(REDIS_URL, `sl:test:${randomBytes(6).toString('hex')}:`)],
] as const)('the %s sliding window', (_name, create) => {
  let store: RateLimitStore;
  beforeAll(() => {
    store = create();
  });
  afterAll(() => store.close());

  it('admits `limit` calls in any window, then refuses until the oldest call leaves it', async () => {
    const key = `k:${randomBytes(4).toString('hex')}`;
    const t0 = 1_000_000;
    expect((await store.hit(key, rule, t0)).remaining).toBe(2);
    await store.hit(key, rule, t0 + 4_000);
    const third = await store.hit(key, rule, t0 + 8_000);
    expect(third).toMatchObject({ allowed: true, remaining: 0, resetAt: t0 + 10_000 });
    const refused = await store.hit(key, rule, t0 + 9_000);
    expect(refused).toMatchObject({ allowed: false, remaining: 0, retryAfterMs: 1_000 });
    // Sliding, not fixed buckets: at t0+10s only the first call has left the window.
    expect((await store.hit(key, rule, t0 + 10_001)).allowed).toBe(true);
    expect((await store.hit(key, rule, t0 + 10_002)).allowed).toBe(false);
    expect((await store.hit(key, rule, t0 + 14_001)).allowed).toBe(true);
  });

  it('keeps keys apart', async () => {
    const a = `a:${randomBytes(4).toString('hex')}`;
    const b = `b:${randomBytes(4).toString('hex')}`;
    for (let i = 0; i < 3; i++) await store.hit(a, rule, 5_000_000);
    expect((await store.hit(a, rule, 5_000_001)).allowed).toBe(false);
    expect((await store.hit(b, rule, 5_000_001)).allowed).toBe(true);
  });
});

describe('Redis shares the counts between API instances', () => {
  it('refuses on one instance what another already admitted', async () => {
    const prefix = `sl:test:${randomBytes(6).toString('hex')}:`;
    const one = new RedisRateLimitStore(REDIS_URL, prefix);
    const two = new RedisRateLimitStore(REDIS_URL, prefix);
    try {
      const now = Date.now();
      const hits = await Promise.all(
        Array.from({ length: 10 }, (_, i) => (i % 2 ? one : two).hit('user:1', rule, now)),
      );
      expect(hits.filter((h) => h.allowed)).toHaveLength(3);
    } finally {
      await one.close();
      await two.close();
    }
  });
});

describe('limits over HTTP', () => {
  const apis: TestApi[] = [];
  const start = async (overrides: Record<string, string>) => {
    const api = await startTestApi(overrides);
    apis.push(api);
    return api;
  };
  afterAll(() => Promise.all(apis.map((api) => api.stop())));

  it('answers 429 with Retry-After and the X-RateLimit headers for anonymous callers', async () => {
    const api = await start({ RATE_LIMIT_ANONYMOUS: '3/60' });
    const browser = new Browser(api.url);
    const answers = [];
    for (let i = 0; i < 4; i++) {
      const answer = await browser.query('tokens.packages');
      answers.push(answer);
      if (i === 0) {
        expect(answer.headers.get('x-ratelimit-limit')).toBe('3');
        expect(answer.headers.get('x-ratelimit-remaining')).toBe('2');
        expect(Number(answer.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
      }
    }
    expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 429]);
    const last = answers[3]!;
    expect(last.error?.data.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(Number(last.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(last.headers.get('x-ratelimit-remaining')).toBe('0');
  });

  it('counts signed-in calls per user', async () => {
    const api = await start({ RATE_LIMIT_USER: '4/60' });
    const browser = new Browser(api.url);
    await browser.mutate('auth.devSignIn', { username: 'busy_bee' });
    const statuses = [];
    for (let i = 0; i < 5; i++) statuses.push((await browser.query('tokens.balance')).status);
    expect(statuses).toEqual([200, 200, 200, 200, 429]);
    // Another user on the same IP has their own allowance.
    const other = new Browser(api.url);
    await other.mutate('auth.devSignIn', { username: 'calm_cat' });
    expect((await other.query('tokens.balance')).status).toBe(200);
  });

  it('limits sign-in per IP, on the Google redirect and the dev sign-in alike', async () => {
    const api = await start({ RATE_LIMIT_SIGN_IN: '2/300' });
    const browser = new Browser(api.url);
    expect((await browser.fetch('/api/auth/google/login')).status).toBe(302);
    expect((await browser.mutate('auth.devSignIn', { username: 'first_try' })).status).toBe(200);
    const google = await browser.fetch('/api/auth/google/login');
    expect(google.status).toBe(429);
    expect(google.headers.get('retry-after')).not.toBeNull();
    expect(((await google.json()) as { error: { code: string } }).error.code).toBe('RATE_LIMIT_EXCEEDED');
    const dev = await browser.mutate('auth.devSignIn', { username: 'second_try' });
    expect(dev.status).toBe(429);
    expect(dev.error?.data.details?.scope).toBe('signIn');
  });
});
