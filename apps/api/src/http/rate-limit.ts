import { DomainError } from '@stylelicense/contracts';
import type { RequestHandler, Response } from 'express';
import type { RateLimitDecision, RateLimitRule, RateLimitStore } from '../platform/rate-limits';

export type RateLimitKind = 'signIn' | 'generation' | 'user' | 'anonymous';

/** SPEC headers on every limited response: X-RateLimit-Limit/Remaining/Reset (+ Retry-After on 429). */
export function setRateLimitHeaders(res: Response | undefined, decision: RateLimitDecision): void {
  if (!res || res.headersSent) return;
  res.setHeader('X-RateLimit-Limit', String(decision.limit));
  res.setHeader('X-RateLimit-Remaining', String(decision.remaining));
  res.setHeader('X-RateLimit-Reset', String(Math.ceil(decision.resetAt / 1000)));
  if (!decision.allowed) res.setHeader('Retry-After', String(Math.max(1, Math.ceil(decision.retryAfterMs / 1000))));
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

/** The Express form, for REST routes (sign-in redirects): 429 JSON with the headers. */
export function rateLimitRoute(store: RateLimitStore, kind: RateLimitKind, rule: RateLimitRule, keyOf: (req: Parameters<RequestHandler>[0]) => string): RequestHandler {
  return async (req, res, next) => {
    const decision = await consume(store, kind, keyOf(req), rule, (error) => req.log.warn({ err: error }, 'rate-limit store unavailable'));
    if (!decision) return next();
    setRateLimitHeaders(res, decision);
    if (decision.allowed) return next();
    const error = rateLimitError(kind, decision);
    res.status(429).json({ error: { code: error.code, httpStatus: 429, message: error.message, details: error.details } });
  };
}
