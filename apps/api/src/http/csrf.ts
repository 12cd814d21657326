import type { RequestHandler } from 'express';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * Refuses cross-site state-changing requests (DESIGN: CSRF by Origin / Sec-Fetch-Site). A browser
 * always sends Origin on a non-GET fetch or form post, so: an Origin must be one we trust; without
 * one, Sec-Fetch-Site must say same-origin (or none: typed by the user); a request with neither is
 * not from a browser and is refused only when it carries cookies (nothing to forge without them).
 * Paths under `exemptPrefixes` authenticate otherwise (signed webhooks, presigned storage URLs), and
 * so do requests with an API key.
 */
export function csrfProtection({
  trustedOrigins,
  exemptPrefixes,
}: {
  trustedOrigins: string[];
  exemptPrefixes: string[];
}): RequestHandler {
  const trusted = new Set(trustedOrigins.map((origin) => new URL(origin).origin));
  return (req, res, next) => {
    // A bearer key is never attached by a browser on its own, so a request carrying one cannot be forged.
    if (
      SAFE_METHODS.has(req.method) ||
      req.headers.authorization?.startsWith('Bearer ') ||
      exemptPrefixes.some((prefix) => req.path.startsWith(prefix))
    )
      return next();
    const origin = req.headers.origin;
    const fetchSite = req.headers['sec-fetch-site'];
    let allowed: boolean;
    if (origin !== undefined) allowed = trusted.has(origin);
    else if (typeof fetchSite === 'string') allowed = fetchSite === 'same-origin' || fetchSite === 'none';
    else allowed = !req.headers.cookie;
    if (allowed) return next();
    const error = {
      code: 'FORBIDDEN' as const,
      httpStatus: 403,
      message: 'Cross-site request refused: this request did not come from the Style License app.',
    };
    res
      .status(403)
      .json(
        req.baseUrl === '/trpc' || req.path.startsWith('/trpc/')
          ? trpcErrorEnvelope(req.path, req.query.batch, error)
          : { error },
      );
  };
}

/**
 * The error as tRPC's client reads it (superjson envelope, one per call of a batch), so the typed
 * client surfaces `data.code` like any other error.
 */
function trpcErrorEnvelope(
  path: string,
  batch: unknown,
  error: { code: string; httpStatus: number; message: string },
) {
  const procedures = path
    .replace(/^\/trpc\//, '')
    .replace(/^\//, '')
    .split(',');
  const one = (procedure: string) => ({
    error: {
      json: {
        message: error.message,
        code: -32003,
        data: { code: error.code, httpStatus: error.httpStatus, path: procedure },
      },
    },
  });
  return batch === '1' ? procedures.map(one) : one(procedures[0] ?? '');
}
