import { DomainError } from '@stylelicense/contracts';
import {
  findLedgerDiscrepancies,
  Prisma,
  queryRows,
  WELCOME_BONUS_TOKENS,
  type Database,
  type TransactionClient,
} from '@stylelicense/db';
import { uuidv7 } from '../common/ids';

/**
 * The only code that moves tokens. Each movement is one function that takes the caller's
 * transaction (`tx`), changes the balance and writes its immutable ledger entry in that same
 * transaction, and is idempotent by `transactions.idempotency_key`: a repeated call changes nothing
 * and answers `applied: false`.
 *
 * Movements are single SQL statements (CTEs) where they can be, so the hot path — the hold at
 * generation submit — costs one round trip. Balances never go below zero: the debit is a
 * conditional UPDATE and the column has a CHECK.
 */
export interface LedgerResult {
  applied: boolean;
  /** The entry this call wrote; null when it changed nothing. */
  entryId: string | null;
}

export interface HoldResult extends LedgerResult {
  /** The user's token balance after the hold (null when the hold was already taken). */
  balance: number | null;
}

export const ledgerKeys = {
  welcome: (userId: string) => `welcome:${userId}`,
  purchase: (paymentKey: string) => `purchase:${paymentKey}`,
  hold: (generationId: string) => `hold:${generationId}`,
  earning: (generationId: string) => `earning:${generationId}`,
  refund: (generationId: string) => `refund:${generationId}`,
};

/** The 100-token "Welcome Bonus" from the platform, once per user. */
export async function creditWelcomeBonus(
  tx: TransactionClient,
  { userId }: { userId: string },
): Promise<LedgerResult> {
  return credit(tx, {
    userId,
    amount: WELCOME_BONUS_TOKENS,
    type: 'bonus',
    memo: 'Welcome Bonus',
    key: ledgerKeys.welcome(userId),
    pricePerToken: 0,
    currency: 'KRW',
    purchaseId: null,
  });
}

/** Tokens bought through a payment provider, once per payment key. */
export async function creditPurchase(
  tx: TransactionClient,
  p: {
    purchaseId: string;
    userId: string;
    amount: number;
    pricePerToken: number;
    currency: string;
    paymentKey: string;
  },
): Promise<LedgerResult> {
  return credit(tx, {
    userId: p.userId,
    amount: p.amount,
    type: 'purchase',
    memo: 'Token purchase',
    key: ledgerKeys.purchase(p.paymentKey),
    pricePerToken: p.pricePerToken,
    currency: p.currency,
    purchaseId: p.purchaseId,
  });
}

async function credit(
  tx: TransactionClient,
  p: {
    userId: string;
    amount: number;
    type: 'bonus' | 'purchase';
    memo: string;
    key: string;
    pricePerToken: number;
    currency: string;
    purchaseId: string | null;
  },
): Promise<LedgerResult> {
  assertAmount(p.amount);
  // Entry first: ON CONFLICT DO NOTHING waits for a concurrent writer of the same key, so the
  // balance is only raised when this statement's entry is the one that exists.
  const rows = await tx.$queryRaw<Array<{ entry_id: string | null; credited: boolean }>>`
    WITH entry AS (
      INSERT INTO transactions (id, sender_id, receiver_id, amount, type, price_per_token, currency, memo, purchase_id, idempotency_key)
      VALUES (${uuidv7()}::uuid, NULL, ${p.userId}::uuid, ${p.amount}, ${p.type}::"TransactionType", ${p.pricePerToken},
              ${p.currency}, ${p.memo}, ${p.purchaseId}::uuid, ${p.key})
      ON CONFLICT (idempotency_key) DO NOTHING
      RETURNING id, amount
    ), raised AS (
      UPDATE users SET token_balance = token_balance + entry.amount, updated_at = now()
      FROM entry WHERE users.id = ${p.userId}::uuid
      RETURNING users.id
    )
    SELECT (SELECT id::text FROM entry) AS entry_id, EXISTS (SELECT 1 FROM raised) AS credited`;
  const row = rows[0]!;
  if (row.entry_id && !row.credited)
    throw new DomainError('NOT_FOUND', 'No such user.', { userId: p.userId });
  return { applied: row.entry_id !== null, entryId: row.entry_id };
}

/**
 * Takes a generation's cost from the user when it is submitted (call after inserting the generation
 * row, in the same transaction). One statement: the conditional debit can never take a balance
 * below zero, however many submissions race; the entry is written only when the debit happened.
 */
export async function holdForGeneration(
  tx: TransactionClient,
  p: { userId: string; generationId: string; styleId: string; amount: number },
): Promise<HoldResult> {
  assertAmount(p.amount);
  const key = ledgerKeys.hold(p.generationId);
  const statement = Prisma.sql`
    WITH prior AS (
      SELECT 1 FROM transactions WHERE idempotency_key = ${key}
    ), debit AS (
      UPDATE users SET token_balance = token_balance - ${p.amount}, updated_at = now()
      WHERE id = ${p.userId}::uuid AND token_balance >= ${p.amount} AND NOT EXISTS (SELECT 1 FROM prior)
      RETURNING token_balance
    ), entry AS (
      INSERT INTO transactions (id, sender_id, receiver_id, amount, type, memo, style_id, generation_id, idempotency_key)
      SELECT ${uuidv7()}::uuid, ${p.userId}::uuid, NULL, ${p.amount}, 'generation'::"TransactionType", 'Generation', ${p.styleId}::uuid,
             ${p.generationId}::uuid, ${key}
      FROM debit
      RETURNING id
    )
    SELECT EXISTS (SELECT 1 FROM prior) AS already, (SELECT token_balance FROM debit) AS balance,
           (SELECT id::text FROM entry) AS entry_id`;
  // On the caller's transaction: generations.create inserts the generation in the same one.
  const rows = await queryRows<{ already: boolean; balance: number | null; entry_id: string | null }>(
    tx,
    'ledger_hold',
    statement,
  );
  const row = rows[0]!;
  if (row.entry_id) return { applied: true, entryId: row.entry_id, balance: row.balance };
  if (row.already) return { applied: false, entryId: null, balance: null };
  const user = await tx.user.findUnique({ where: { id: p.userId }, select: { tokenBalance: true } });
  if (!user) throw new DomainError('NOT_FOUND', 'No such user.', { userId: p.userId });
  throw new DomainError(
    'INSUFFICIENT_TOKENS',
    `This needs ${p.amount} tokens; you have ${user.tokenBalance}.`,
    {
      balance: user.tokenBalance,
      needed: p.amount,
    },
  );
}

interface LockedHold {
  sender_id: string;
  amount: number;
  style_id: string | null;
  refunded: boolean;
  settled: boolean;
}

/**
 * Locks the generation's hold entry so settle and refund of one generation take turns, then (in a
 * new statement, hence a fresh snapshot under READ COMMITTED) reports whether it was settled.
 */
async function lockHold(tx: TransactionClient, generationId: string): Promise<LockedHold | null> {
  const locked = await tx.$queryRaw<Array<{ id: string }>>`
    SELECT id FROM transactions WHERE idempotency_key = ${ledgerKeys.hold(generationId)} FOR UPDATE`;
  if (locked.length === 0) return null;
  const rows = await tx.$queryRaw<LockedHold[]>`
    SELECT h.sender_id::text AS sender_id, h.amount, h.style_id::text AS style_id, h.refunded,
           EXISTS (SELECT 1 FROM transactions e WHERE e.idempotency_key = ${ledgerKeys.earning(generationId)}) AS settled
    FROM transactions h WHERE h.idempotency_key = ${ledgerKeys.hold(generationId)}`;
  return rows[0] ?? null;
}

/**
 * Credits the style's artist (earned balance) with the held amount when a generation completes.
 * The platform takes no fee. Never after a refund; once per generation.
 */
export async function settleGeneration(
  tx: TransactionClient,
  { generationId }: { generationId: string },
): Promise<LedgerResult> {
  const hold = await lockHold(tx, generationId);
  if (!hold)
    throw new DomainError('GENERATION_NOT_FOUND', 'This generation has no token hold to settle.', {
      generationId,
    });
  if (hold.settled || hold.refunded) return { applied: false, entryId: null };
  const rows = await tx.$queryRaw<Array<{ entry_id: string | null }>>`
    WITH artist AS (
      SELECT s.artist_id FROM generations g JOIN styles s ON s.id = g.style_id WHERE g.id = ${generationId}::uuid
    ), raised AS (
      UPDATE artists SET earned_token_balance = earned_token_balance + ${hold.amount}, updated_at = now()
      FROM artist WHERE artists.user_id = artist.artist_id
      RETURNING artists.user_id
    ), entry AS (
      INSERT INTO transactions (id, sender_id, receiver_id, amount, type, memo, style_id, generation_id, idempotency_key)
      SELECT ${uuidv7()}::uuid, NULL, raised.user_id, ${hold.amount}, 'earning'::"TransactionType", 'Generation earning',
             ${hold.style_id}::uuid, ${generationId}::uuid, ${ledgerKeys.earning(generationId)}
      FROM raised
      RETURNING id
    )
    SELECT (SELECT id::text FROM entry) AS entry_id`;
  const entryId = rows[0]?.entry_id ?? null;
  if (!entryId)
    throw new DomainError('NOT_FOUND', "The generation's artist was not found.", { generationId });
  return { applied: true, entryId };
}

/**
 * Returns the held tokens to the user after a generation's final failure: marks the hold entry
 * refunded and writes the refund entry. Never for a settled generation; once per generation.
 */
export async function refundGeneration(
  tx: TransactionClient,
  { generationId }: { generationId: string },
): Promise<LedgerResult> {
  const hold = await lockHold(tx, generationId);
  if (!hold)
    throw new DomainError('GENERATION_NOT_FOUND', 'This generation has no token hold to refund.', {
      generationId,
    });
  if (hold.settled || hold.refunded) return { applied: false, entryId: null };
  const rows = await tx.$queryRaw<Array<{ entry_id: string | null }>>`
    WITH marked AS (
      UPDATE transactions SET refunded = true
      WHERE idempotency_key = ${ledgerKeys.hold(generationId)} AND NOT refunded
      RETURNING sender_id, amount, style_id
    ), returned AS (
      UPDATE users SET token_balance = token_balance + marked.amount, updated_at = now()
      FROM marked WHERE users.id = marked.sender_id
      RETURNING users.id
    ), entry AS (
      INSERT INTO transactions (id, sender_id, receiver_id, amount, type, memo, style_id, generation_id, idempotency_key)
      SELECT ${uuidv7()}::uuid, NULL, returned.id, marked.amount, 'refund'::"TransactionType", 'Generation refund', marked.style_id,
             ${generationId}::uuid, ${ledgerKeys.refund(generationId)}
      FROM marked, returned
      RETURNING id
    )
    SELECT (SELECT id::text FROM entry) AS entry_id`;
  const entryId = rows[0]?.entry_id ?? null;
  return { applied: entryId !== null, entryId };
}

/** Every account whose balance disagrees with its ledger entries; empty means the books reconcile. */
export function reconcile(db: Database) {
  return findLedgerDiscrepancies(db);
}

function assertAmount(amount: number): void {
  if (!Number.isSafeInteger(amount) || amount <= 0) {
    throw new DomainError('VALIDATION_ERROR', 'A token amount must be a positive whole number.', { amount });
  }
}
