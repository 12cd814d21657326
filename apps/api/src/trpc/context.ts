import type { Role } from '@stylelicense/db';
import type { AppDeps } from '../deps';
import type { Logger } from '../logger';

/** The signed-in caller, if any. */
export interface Viewer {
  userId: string;
  role: Role;
  sessionId: string;
}

/** The session cookie of the HTTP exchange a call came in on. */
export interface SessionCookie {
  set(session: { token: string; expiresAt: Date }): void;
  clear(): void;
}

/**
 * What a procedure knows about its call. The HTTP layer fills the transport-specific fields; a
 * call made in-process (createCaller) leaves them out.
 */
export interface Context {
  deps: AppDeps;
  log: Logger;
  requestId: string;
  ip: string;
  viewer: Viewer | null;
  userAgent?: string;
  sessionCookie?: SessionCookie;
  /** The caller's cookie named a session that has expired, so guards answer SESSION_EXPIRED. */
  sessionExpired?: boolean;
  /** This call rebuilds a cached public page, so cached reads underneath read afresh. */
  pageRefill?: boolean;
  /** Sets headers on the HTTP answer (rate-limit headers). */
  setHeaders?: (headers: Record<string, string>) => void;
}
