import { randomBytes } from 'node:crypto';
import { DomainError } from '@stylelicense/contracts';
import { Redis } from 'ioredis';
import type { ReadinessProbe } from './health';

/** At most `limit` calls in any `windowMs` (a sliding window, not fixed buckets). */
export interface RateLimitRule {
  limit: number;
  windowMs: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  limit: number;
  remaining: number;
  /** When the oldest counted call leaves the window (epoch ms). */
  resetAt: number;
  /** How long to wait before the next call can pass (0 when allowed). */
  retryAfterMs: number;
}

/** Counts calls per key. The Redis store lets every API instance share the counts. */
export interface RateLimitStore {
  hit(key: string, rule: RateLimitRule, now?: number): Promise<RateLimitDecision>;
  close(): Promise<void>;
  probe?: ReadinessProbe;
}

function decide(
  rule: RateLimitRule,
  now: number,
  counted: number,
  oldest: number | undefined,
  allowed: boolean,
): RateLimitDecision {
  const resetAt = (oldest ?? now) + rule.windowMs;
  return {
    allowed,
    limit: rule.limit,
    remaining: Math.max(0, rule.limit - counted),
    resetAt,
    retryAfterMs: allowed ? 0 : Math.max(0, resetAt - now),
  };
}

/** One process (the embedded default and tests): timestamps of the calls still inside the window. */
export class MemoryRateLimitStore implements RateLimitStore {
  private readonly calls = new Map<string, number[]>();

  async hit(key: string, rule: RateLimitRule, now = Date.now()): Promise<RateLimitDecision> {
    let inWindow = this.calls.get(key);
    if (!inWindow) this.calls.set(key, (inWindow = []));
    // Calls are kept in time order: drop the ones that left the window from the front.
    let left = 0;
    while (left < inWindow.length && inWindow[left]! <= now - rule.windowMs) left++;
    if (left > 0) inWindow.splice(0, left);
    const allowed = inWindow.length < rule.limit;
    if (allowed) inWindow.push(now);
    if (inWindow.length === 0) this.calls.delete(key);
    if (this.calls.size > 50_000) this.sweep(now, rule.windowMs);
    return decide(rule, now, inWindow.length, inWindow[0], allowed);
  }

  /** Keeps memory bounded under many distinct keys (e.g. IPs). */
  private sweep(now: number, windowMs: number): void {
    for (const [key, calls] of this.calls) if ((calls.at(-1) ?? 0) <= now - windowMs) this.calls.delete(key);
  }

  async close(): Promise<void> {
    this.calls.clear();
  }
}

// Atomic on the Redis server: drop calls that left the window, count, admit if under the limit.
// A sorted set per key: score = call time (ms), member = time + random (unique per call).
const SLIDING_WINDOW = `
local key, now, window, limit, member = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local count = redis.call('ZCARD', key)
local allowed = 0
if count < limit then
  redis.call('ZADD', key, now, member)
  count = count + 1
  allowed = 1
end
redis.call('PEXPIRE', key, window)
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')[2]
return {allowed, count, oldest or now}
`;

export class RedisRateLimitStore implements RateLimitStore {
  private readonly redis: Redis;
  readonly probe: ReadinessProbe;

  constructor(
    url: string,
    private readonly prefix = 'sl:ratelimit:',
  ) {
    this.redis = new Redis(url, {
      lazyConnect: true,
      maxRetriesPerRequest: 1,
      enableOfflineQueue: true,
      enableAutoPipelining: true,
    });
    this.redis.defineCommand('slidingWindowHit', { numberOfKeys: 1, lua: SLIDING_WINDOW });
    this.probe = { name: 'rateLimits', check: async () => void (await this.redis.ping()) };
  }

  async hit(key: string, rule: RateLimitRule, now = Date.now()): Promise<RateLimitDecision> {
    const run = (
      this.redis as unknown as Record<string, (...args: unknown[]) => Promise<[number, number, string]>>
    ).slidingWindowHit!;
    const member = `${now}:${randomBytes(6).toString('hex')}`;
    const [allowed, count, oldest] = await run.call(
      this.redis,
      this.prefix + key,
      now,
      rule.windowMs,
      rule.limit,
      member,
    );
    return decide(rule, now, count, Number(oldest), allowed === 1);
  }

  async close(): Promise<void> {
    this.redis.disconnect();
  }
}

export type RateLimitKind = 'signIn' | 'generation' | 'user' | 'anonymous';

/** SPEC headers on every limited response: X-RateLimit-Limit/Remaining/Reset (+ Retry-After on 429). */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'X-RateLimit-Limit': String(decision.limit),
    'X-RateLimit-Remaining': String(decision.remaining),
    'X-RateLimit-Reset': String(Math.ceil(decision.resetAt / 1000)),
  };
  if (!decision.allowed)
    headers['Retry-After'] = String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000)));
  return headers;
}

export function rateLimitError(kind: RateLimitKind, decision: RateLimitDecision): DomainError {
  const retryAfterSeconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  return new DomainError('RATE_LIMIT_EXCEEDED', `Too many requests; try again in ${retryAfterSeconds} s.`, {
    limit: decision.limit,
    retryAfterSeconds,
    scope: kind,
  });
}

/**
 * Counts one call against `rule` for `key`. A store outage lets calls through (limits protect the
 * service; they must not take it down) and is logged by the caller's `onStoreError`.
 */
export async function consume(
  store: RateLimitStore,
  kind: RateLimitKind,
  key: string,
  rule: RateLimitRule,
  onStoreError: (error: unknown) => void,
): Promise<RateLimitDecision | null> {
  try {
    return await store.hit(`${kind}:${key}`, rule);
  } catch (error) {
    onStoreError(error);
    return null;
  }
}
