import type { RequestHandler } from 'express';

/** Bodies /trpc accepts by default: the largest ordinary input (a style with 100 captioned artworks) is far below. */
export const TRPC_BODY_LIMIT = 1024 * 1024;
/** Procedures that carry more: the artist upgrade's signature PNG and an image to verify travel as base64 (≤ 3 MB). */
const LARGER_BODIES: Record<string, number> = {
  'users.upgradeToArtist': 4 * 1024 * 1024,
  'provenance.verify': 4 * 1024 * 1024,
};
/** The most any /trpc body may be; tRPC itself stops reading a body without a length past it. */
export const TRPC_MAX_BODY = Math.max(TRPC_BODY_LIMIT, ...Object.values(LARGER_BODIES));

/** The limit for a /trpc path: one procedure or a batch ("a,b"), the largest of theirs. */
export function bodyLimitFor(path: string): number {
  const procedures = decodeURIComponent(path.replace(/^\//, '').split('?')[0] ?? '').split(',');
  return Math.max(...procedures.map((procedure) => LARGER_BODIES[procedure] ?? TRPC_BODY_LIMIT));
}

/**
 * Refuses a body whose declared length is past its route's limit with 413 PAYLOAD_TOO_LARGE, before
 * reading any of it; the connection closes so the unread rest is never taken in.
 */
export function trpcBodyLimit(): RequestHandler {
  return (req, res, next) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    const limit = bodyLimitFor(req.url);
    if (!(declared > limit)) return next();
    res.setHeader('connection', 'close');
    res.status(413).json({
      error: {
        json: {
          message: `The request body is ${declared} bytes; this route takes at most ${limit}.`,
          code: -32600,
          data: { code: 'PAYLOAD_TOO_LARGE', httpStatus: 413, details: { limit } },
        },
      },
    });
  };
}
