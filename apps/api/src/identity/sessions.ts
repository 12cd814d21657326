import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import { queryRows, type Database, type Role } from '@stylelicense/db';
import { sessionQuery } from './queries';
import type { ApiConfig } from '../env';

/**
 * Sessions after Lucia's guide (the `lucia` package itself is end-of-life): the token the browser
 * holds is `<id>.<secret>`; the database stores the id and only a SHA-256 hash of the secret, so a
 * leaked sessions table cannot be replayed. Expiry slides: a session used in the second half of its
 * life is extended to a full lifetime again.
 */
export interface SessionPolicy {
  /** Full lifetime in ms; renewed when less than half is left. */
  ttlMs: number;
}

export function sessionPolicy(config: Pick<ApiConfig, 'SESSION_TTL_DAYS'>): SessionPolicy {
  return { ttlMs: config.SESSION_TTL_DAYS * 24 * 60 * 60 * 1000 };
}

export interface IssuedSession {
  id: string;
  token: string;
  expiresAt: Date;
}

export type SessionCheck =
  | { state: 'valid'; sessionId: string; userId: string; role: Role; expiresAt: Date; renewed: boolean }
  /** The session existed but ran out: the client should sign in again (SESSION_EXPIRED). */
  | { state: 'expired' }
  /** Unknown, signed out, forged or for a deactivated user (UNAUTHORIZED). */
  | { state: 'invalid' };

/** SHA-256 of a session's or API key's secret: what is stored and compared, never the secret. */
export const hashSecret = (secret: string) => hash('sha256', secret, 'buffer');

export async function createSession(
  db: Database,
  policy: SessionPolicy,
  { userId, ipAddress, userAgent }: { userId: string; ipAddress?: string; userAgent?: string },
): Promise<IssuedSession> {
  // 120 bits of entropy for the id and 192 for the secret.
  const id = randomBytes(15).toString('base64url');
  const secret = randomBytes(24).toString('base64url');
  const expiresAt = new Date(Date.now() + policy.ttlMs);
  await db.session.create({
    data: {
      id,
      userId,
      secretHash: hashSecret(secret),
      expiresAt,
      ipAddress: ipAddress?.slice(0, 64) ?? null,
      userAgent: userAgent?.slice(0, 512) ?? null,
    },
  });
  return { id, token: `${id}.${secret}`, expiresAt };
}

export async function validateSessionToken(
  db: Database,
  policy: SessionPolicy,
  token: string,
): Promise<SessionCheck> {
  const [id, secret, ...rest] = token.split('.');
  if (!id || !secret || rest.length > 0 || id.length > 64 || secret.length > 128) return { state: 'invalid' };
  // Every signed-in request starts here: one prepared statement, not Prisma's per-call cost.
  const [session] = await queryRows<{
    user_id: string;
    secret_hash: Uint8Array;
    expires_at: Date;
    role: Role;
    is_active: boolean;
  }>(db, 'sessions.validate', sessionQuery(id));
  if (!session) return { state: 'invalid' };
  const presented = hashSecret(secret);
  const stored = Buffer.from(session.secret_hash);
  if (stored.length !== presented.length || !timingSafeEqual(stored, presented)) return { state: 'invalid' };
  const now = Date.now();
  if (session.expires_at.getTime() <= now) {
    await db.session.deleteMany({ where: { id } });
    return { state: 'expired' };
  }
  if (!session.is_active) return { state: 'invalid' };
  let expiresAt = session.expires_at;
  let renewed = false;
  if (expiresAt.getTime() - now < policy.ttlMs / 2) {
    expiresAt = new Date(now + policy.ttlMs);
    await db.session.updateMany({ where: { id }, data: { expiresAt } });
    renewed = true;
  }
  return {
    state: 'valid',
    sessionId: id,
    userId: session.user_id,
    role: session.role,
    expiresAt,
    renewed,
  };
}

/** Sign out of this session. */
export async function invalidateSession(db: Database, sessionId: string): Promise<void> {
  await db.session.deleteMany({ where: { id: sessionId } });
}

/** Sign out everywhere; returns how many sessions ended. */
export async function invalidateUserSessions(db: Database, userId: string): Promise<number> {
  return (await db.session.deleteMany({ where: { userId } })).count;
}

/** Deletes sessions past their expiry; returns how many. */
export async function purgeExpiredSessions(db: Database, now = new Date()): Promise<number> {
  return (await db.session.deleteMany({ where: { expiresAt: { lte: now } } })).count;
}
