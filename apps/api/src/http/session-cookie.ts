import type { Request, Response } from 'express';
import type { Database } from '@stylelicense/db';
import type { ApiConfig } from '../env';
import type { SessionCache } from '../identity/session-cache';
import { sessionPolicy, validateSessionToken, type IssuedSession } from '../identity/sessions';
import type { SessionCookie, Viewer } from '../trpc/context';
import { clearCookie, cookieOptions, readCookie } from './cookies';

/** `__Host-` (Secure, Path=/, no Domain: cannot be set by a sibling subdomain) where HTTPS is required. */
export function sessionCookieName(config: ApiConfig): string {
  return config.MODE === 'production' ? '__Host-sl_session' : 'sl_session';
}

export function setSessionCookie(
  res: Response,
  config: ApiConfig,
  session: Pick<IssuedSession, 'token' | 'expiresAt'>,
): void {
  res.cookie(
    sessionCookieName(config),
    session.token,
    cookieOptions(config.MODE === 'production', { expires: session.expiresAt }),
  );
}

export function clearSessionCookie(res: Response, config: ApiConfig): void {
  clearCookie(res, sessionCookieName(config), cookieOptions(config.MODE === 'production'));
}

/** Set by the viewer resolver when the session cookie named an expired session. */
export function sessionExpired(res: Response): boolean {
  return res.locals.sessionExpired === true;
}

/** The session cookie of one exchange, as procedures see it. */
export function sessionCookieOf(res: Response, config: ApiConfig): SessionCookie {
  return {
    set: (session) => setSessionCookie(res, config, session),
    clear: () => clearSessionCookie(res, config),
  };
}

/** Who is calling, from the request (the session cookie, or a test's stand-in). */
export type ViewerResolver = (req: Request, res: Response) => Promise<Viewer | null>;

/**
 * Resolves `ctx.viewer` from the session cookie: renews the cookie when the session slid forward,
 * clears it when the session is gone or expired. With a `cache` (members' pages), a session it
 * vouches for costs no database round trip, and one read from the database is kept in it.
 */
export function sessionViewerResolver(db: Database, config: ApiConfig, cache?: SessionCache): ViewerResolver {
  const policy = sessionPolicy(config);
  return async (req: Request, res: Response) => {
    const token = readCookie(req, sessionCookieName(config));
    if (!token) return null;
    const cached = cache?.lookup(token);
    if (cached) return cached;
    const mark = cache?.mark();
    const check = await validateSessionToken(db, policy, token);
    if (check.state !== 'valid') {
      if (check.state === 'expired') res.locals.sessionExpired = true;
      clearSessionCookie(res, config);
      return null;
    }
    if (check.renewed) setSessionCookie(res, config, { token, expiresAt: check.expiresAt });
    if (mark !== undefined) cache?.remember(mark, token, check);
    return { userId: check.userId, role: check.role, sessionId: check.sessionId };
  };
}
