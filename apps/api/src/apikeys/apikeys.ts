import { randomBytes, timingSafeEqual } from 'node:crypto';
import { DomainError } from '@stylelicense/contracts';
import type { Database, Role } from '@stylelicense/db';
import type { AppDeps } from '../deps';
import type { Viewer } from '../common/viewer';
import { hashSecret } from '../identity/sessions';

// Keys after Stripe's: `sl_<prefix>_<secret>`, shown once; the prefix is stored in the clear (it
// identifies the key in lists and looks it up), the secret only as a SHA-256 hash.

export const API_KEY_SCOPES = ['read', 'generate'] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

/** What a request authenticated by a key may do. */
export interface ApiKeyGrant {
  id: string;
  scopes: ApiKeyScope[];
}

export interface ApiKeyView {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiKeyScope[];
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}

type Deps = Pick<AppDeps, 'db'>;

const KEY_PATTERN = /^(sl_[0-9a-f]{16})_([\w-]{32})$/;
/** Last-used time is written at most this often per key, so a busy key does not write on every call. */
const LAST_USED_RESOLUTION_MS = 60_000;

function scopesOf(stored: string): ApiKeyScope[] {
  return API_KEY_SCOPES.filter((scope) => stored.split(' ').includes(scope));
}

function viewOf(row: {
  id: string;
  name: string;
  prefix: string;
  scopes: string;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
}): ApiKeyView {
  return { ...row, scopes: scopesOf(row.scopes) };
}

/** Issues a key; the returned `key` is the only time its secret is ever shown. */
export async function createApiKey(
  deps: Deps,
  viewer: Viewer,
  input: { name: string; scopes: ApiKeyScope[]; expiresAt?: Date },
): Promise<{ key: string; apiKey: ApiKeyView }> {
  if (input.expiresAt && input.expiresAt.getTime() <= Date.now())
    throw new DomainError('VALIDATION_ERROR', 'The expiry must be in the future.', { field: 'expiresAt' });
  const prefix = `sl_${randomBytes(8).toString('hex')}`;
  const secret = randomBytes(24).toString('base64url');
  const row = await deps.db.apiKey.create({
    data: {
      userId: viewer.userId,
      name: input.name,
      prefix,
      secretHash: hashSecret(secret),
      scopes: API_KEY_SCOPES.filter((scope) => input.scopes.includes(scope)).join(' '),
      expiresAt: input.expiresAt ?? null,
    },
  });
  return { key: `${prefix}_${secret}`, apiKey: viewOf(row) };
}

export async function listApiKeys(deps: Deps, viewer: Viewer): Promise<ApiKeyView[]> {
  const rows = await deps.db.apiKey.findMany({
    where: { userId: viewer.userId },
    orderBy: [{ createdAt: 'desc' }, { id: 'desc' }],
  });
  return rows.map(viewOf);
}

/** Revoking is final and immediate; revoking again changes nothing. */
export async function revokeApiKey(
  deps: Deps,
  viewer: Viewer,
  input: { apiKeyId: string },
): Promise<ApiKeyView> {
  await deps.db.apiKey.updateMany({
    where: { id: input.apiKeyId, userId: viewer.userId, revokedAt: null },
    data: { revokedAt: new Date() },
  });
  const row = await deps.db.apiKey.findFirst({ where: { id: input.apiKeyId, userId: viewer.userId } });
  if (!row) throw new DomainError('NOT_FOUND', 'No such API key.', { apiKeyId: input.apiKeyId });
  return viewOf(row);
}

/**
 * Who a presented key acts for: API_KEY_INVALID (unknown, malformed, wrong secret or a deactivated
 * user), API_KEY_REVOKED or API_KEY_EXPIRED.
 */
export async function authenticateApiKey(
  db: Database,
  token: string,
): Promise<{ userId: string; role: Role; apiKey: ApiKeyGrant }> {
  const match = KEY_PATTERN.exec(token);
  const invalid = new DomainError('API_KEY_INVALID', 'This API key is not valid.');
  if (!match) throw invalid;
  const [, prefix = '', secret = ''] = match;
  const row = await db.apiKey.findUnique({
    where: { prefix },
    select: {
      id: true,
      secretHash: true,
      scopes: true,
      lastUsedAt: true,
      expiresAt: true,
      revokedAt: true,
      user: { select: { id: true, role: true, isActive: true } },
    },
  });
  if (!row || !timingSafeEqual(row.secretHash, hashSecret(secret)) || !row.user.isActive) throw invalid;
  if (row.revokedAt)
    throw new DomainError('API_KEY_REVOKED', 'This API key was revoked.', {
      prefix,
      revokedAt: row.revokedAt,
    });
  const now = Date.now();
  if (row.expiresAt && row.expiresAt.getTime() <= now)
    throw new DomainError('API_KEY_EXPIRED', 'This API key has expired.', {
      prefix,
      expiredAt: row.expiresAt,
    });
  if (!row.lastUsedAt || now - row.lastUsedAt.getTime() >= LAST_USED_RESOLUTION_MS)
    await db.apiKey.update({ where: { id: row.id }, data: { lastUsedAt: new Date(now) } });
  return { userId: row.user.id, role: row.user.role, apiKey: { id: row.id, scopes: scopesOf(row.scopes) } };
}
