import type { RequestHandler, Response } from 'express';
import {
  consume,
  rateLimitError,
  rateLimitHeaders,
  type RateLimitDecision,
  type RateLimitKind,
  type RateLimitRule,
  type RateLimitStore,
} from '../platform/rate-limits';

export function setRateLimitHeaders(res: Response, decision: RateLimitDecision): void {
  if (!res.headersSent) res.set(rateLimitHeaders(decision));
}

/** The Express form, for REST routes (sign-in redirects): 429 JSON with the headers. */
export function rateLimitRoute(
  store: RateLimitStore,
  kind: RateLimitKind,
  rule: RateLimitRule,
  keyOf: (req: Parameters<RequestHandler>[0]) => string,
): RequestHandler {
  return async (req, res, next) => {
    const decision = await consume(store, kind, keyOf(req), rule, (error) =>
      req.log.warn({ err: error }, 'rate-limit store unavailable'),
    );
    if (!decision) return next();
    setRateLimitHeaders(res, decision);
    if (decision.allowed) return next();
    const error = rateLimitError(kind, decision);
    res
      .status(429)
      .json({ error: { code: error.code, httpStatus: 429, message: error.message, details: error.details } });
  };
}
