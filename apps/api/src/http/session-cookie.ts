import type { Request, Response } from 'express';
import type { Database } from '@stylelicense/db';
import type { ApiConfig } from '../env';
import { validateSessionToken, type IssuedSession, type SessionPolicy } from '../identity/sessions';
import type { ViewerResolver } from '../trpc/context';
import { clearCookie, cookieOptions, readCookie } from './cookies';

/** `__Host-` (Secure, Path=/, no Domain: cannot be set by a sibling subdomain) where HTTPS is required. */
export function sessionCookieName(config: ApiConfig): string {
  return config.MODE === 'production' ? '__Host-sl_session' : 'sl_session';
}

export function sessionPolicy(config: ApiConfig): SessionPolicy {
  return { ttlMs: config.SESSION_TTL_DAYS * 24 * 60 * 60 * 1000 };
}

export function setSessionCookie(res: Response, config: ApiConfig, session: Pick<IssuedSession, 'token' | 'expiresAt'>): void {
  res.cookie(sessionCookieName(config), session.token, cookieOptions(config.MODE === 'production', { expires: session.expiresAt }));
}

export function clearSessionCookie(res: Response, config: ApiConfig): void {
  clearCookie(res, sessionCookieName(config), cookieOptions(config.MODE === 'production'));
}

/** Marks a request whose session cookie named an expired session, so guards answer SESSION_EXPIRED. */
export function sessionExpired(res: Response | undefined): boolean {
  return res?.locals.sessionExpired === true;
}

/**
 * Resolves `ctx.viewer` from the session cookie: renews the cookie when the session slid forward,
 * clears it when the session is gone or expired.
 */
export function sessionViewerResolver(db: Database, config: ApiConfig): ViewerResolver {
  const policy = sessionPolicy(config);
  return async (req: Request, res: Response) => {
    const token = readCookie(req, sessionCookieName(config));
    if (!token) return null;
    const check = await validateSessionToken(db, policy, token);
    if (check.state !== 'valid') {
      if (check.state === 'expired') res.locals.sessionExpired = true;
      clearSessionCookie(res, config);
      return null;
    }
    if (check.renewed) setSessionCookie(res, config, { token, expiresAt: check.expiresAt });
    return { userId: check.userId, role: check.role, sessionId: check.sessionId };
  };
}
