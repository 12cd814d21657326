import { TRPCError } from '@trpc/server';
import { consume, rateLimitError, rateLimitHeaders, type RateLimitKind } from '../platform/rate-limits';
import type { Context } from './context';

/**
 * Counts this call against the SPEC limit of `kind`, keyed by the API key, the signed-in user or
 * else the caller's IP, setting the X-RateLimit-* headers on the HTTP response; throws RATE_LIMIT_EXCEEDED.
 */
export async function enforceRateLimit(ctx: Context, kind: RateLimitKind): Promise<void> {
  const { config, rateLimits } = ctx.deps;
  const rule = {
    signIn: config.RATE_LIMIT_SIGN_IN,
    generation: config.RATE_LIMIT_GENERATION,
    user: config.RATE_LIMIT_USER,
    anonymous: config.RATE_LIMIT_ANONYMOUS,
  }[kind];
  // A program's calls count per API key, so one runaway key does not use up its owner's other keys.
  const key =
    kind === 'signIn' || kind === 'anonymous' || !ctx.viewer
      ? `ip:${ctx.ip}`
      : ctx.viewer.apiKey
        ? `key:${ctx.viewer.apiKey.id}`
        : `user:${ctx.viewer.userId}`;
  const decision = await consume(rateLimits, kind, key, rule, (error) =>
    ctx.log.warn({ err: error }, 'rate-limit store unavailable'),
  );
  if (!decision) return;
  ctx.setHeaders?.(rateLimitHeaders(decision));
  if (!decision.allowed)
    throw new TRPCError({ code: 'TOO_MANY_REQUESTS', cause: rateLimitError(kind, decision) });
}
