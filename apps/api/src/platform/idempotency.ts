import { createHash } from 'node:crypto';
import { DomainError } from '@stylelicense/contracts';
import { Prisma, type Database } from '@stylelicense/db';

// Idempotency-Key on writes, after Stripe's: the first request with a key claims it and its answer
// is stored; a repeat with the same request gets that answer again without acting twice; the
// same key on a different request is refused. Only successes are stored: after an error the
// claim is released, so the client may try again with the same key. A key is kept for
// IDEMPOTENCY_KEY_TTL_HOURS; housekeeping deletes the expired ones.

export interface IdempotentWrite {
  userId: string;
  key: string;
  /** What is being done (the procedure), part of the request's identity. */
  scope: string;
  request: unknown;
  /** How long the key (and its stored answer) is kept. */
  keepMs: number;
}

/** Key order does not change a request's identity. */
function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

export function requestHashOf(scope: string, request: unknown): string {
  return createHash('sha256')
    .update(`${scope}\n${canonicalJson(request)}`)
    .digest('hex');
}

/**
 * Runs `act` once per (user, key); returns its JSON answer, or the stored one with `replayed`.
 * IDEMPOTENCY_KEY_REUSED: the key was used for a different request; IDEMPOTENCY_KEY_IN_USE: the
 * first request with this key is still running.
 */
export async function runIdempotent(
  db: Database,
  write: IdempotentWrite,
  act: () => Promise<unknown>,
): Promise<{ body: unknown; replayed: boolean }> {
  const requestHash = requestHashOf(write.scope, write.request);
  await db.idempotencyKey.deleteMany({
    where: { userId: write.userId, key: write.key, expiresAt: { lte: new Date() } },
  });
  const claimed = await db.idempotencyKey.createMany({
    data: {
      userId: write.userId,
      key: write.key,
      scope: write.scope,
      requestHash,
      expiresAt: new Date(Date.now() + write.keepMs),
    },
    skipDuplicates: true,
  });
  if (claimed.count === 0) {
    const stored = await db.idempotencyKey.findUnique({
      where: { userId_key: { userId: write.userId, key: write.key } },
    });
    if (!stored) return runIdempotent(db, write, act); // released between our two reads
    if (stored.requestHash !== requestHash)
      throw new DomainError(
        'IDEMPOTENCY_KEY_REUSED',
        'This Idempotency-Key was already used for a different request.',
        { idempotencyKey: write.key },
      );
    if (stored.response === null)
      throw new DomainError(
        'IDEMPOTENCY_KEY_IN_USE',
        'A request with this Idempotency-Key is still running.',
        {
          idempotencyKey: write.key,
        },
      );
    return { body: stored.response, replayed: true };
  }
  let body: unknown;
  try {
    body = JSON.parse(JSON.stringify(await act())) as unknown;
  } catch (error) {
    await db.idempotencyKey.delete({ where: { userId_key: { userId: write.userId, key: write.key } } });
    throw error;
  }
  await db.idempotencyKey.update({
    where: { userId_key: { userId: write.userId, key: write.key } },
    data: { response: body === null ? Prisma.JsonNull : (body as Prisma.InputJsonValue) },
  });
  return { body, replayed: false };
}

/** Deletes keys past their expiry (housekeeping); a repeat after that acts again. */
export async function purgeExpiredIdempotencyKeys(db: Database, now = new Date()): Promise<number> {
  const { count } = await db.idempotencyKey.deleteMany({ where: { expiresAt: { lte: now } } });
  return count;
}
