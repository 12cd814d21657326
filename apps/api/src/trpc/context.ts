import type { Role } from '@stylelicense/db';
import type { DomainError } from '@stylelicense/contracts';
import type { ApiKeyGrant } from '../apikeys/apikeys';
import type { AppDeps } from '../deps';
import type { Logger } from '../logger';

/** The signed-in caller, if any. */
export interface Viewer {
  userId: string;
  role: Role;
  /** Set when a browser session signed the call in. */
  sessionId?: string;
  /** Set when an API key (`Authorization: Bearer`) signed the call in. */
  apiKey?: ApiKeyGrant;
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
  /** The call presented an API key that was refused (invalid, revoked, expired): every procedure answers with it. */
  apiKeyRefused?: DomainError;
  /** This call rebuilds a cached public page, so cached reads underneath read afresh. */
  pageRefill?: boolean;
  /** Sets headers on the HTTP answer (rate-limit headers). */
  setHeaders?: (headers: Record<string, string>) => void;
}
