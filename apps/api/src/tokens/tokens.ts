import { randomBytes } from 'node:crypto';
import { DomainError } from '@stylelicense/contracts';
import type { Prisma } from '@stylelicense/db';
import type { AppDeps } from '../deps';
import type { Viewer } from '../common/viewer';
import { downloadUrl } from '../common/media';
import { pageOf, timeCursor } from '../common/pagination';

/** Token packages live on the server only; clients send an id, never a price. */
export const TOKEN_PACKAGES = [
  { id: 'basic_100', tokens: 100, price: 10_000, currency: 'KRW' },
  { id: 'standard_500', tokens: 500, price: 45_000, currency: 'KRW' },
  { id: 'premium_1000', tokens: 1000, price: 80_000, currency: 'KRW' },
] as const;

export type TokenPackage = (typeof TOKEN_PACKAGES)[number];
export type TokenPackageId = TokenPackage['id'];

/** A checkout must be finished within this long; afterwards the purchase expires and never credits. */
export const PURCHASE_TTL_MS = 15 * 60 * 1000;

export function tokenPackages() {
  return TOKEN_PACKAGES.map((p) => ({ ...p, pricePerToken: p.price / p.tokens }));
}

export function findPackage(packageId: string): TokenPackage {
  const found = TOKEN_PACKAGES.find((p) => p.id === packageId);
  if (!found)
    throw new DomainError('INVALID_PACKAGE', `There is no token package "${packageId}".`, { packageId });
  return found;
}

export async function tokenBalance({ db }: Pick<AppDeps, 'db'>, viewer: Viewer) {
  const userId = viewer.userId;
  const user = await db.user.findUnique({
    where: { id: userId },
    select: { tokenBalance: true, artist: { select: { earnedTokenBalance: true } } },
  });
  if (!user) throw new DomainError('NOT_FOUND', 'No such user.');
  return { tokenBalance: user.tokenBalance, earnedTokenBalance: user.artist?.earnedTokenBalance ?? null };
}

/** `purchase`: tokens bought; `generation`: spending on generations, their refunds and artists' earnings. */
export type TransactionFilter = 'all' | 'purchase' | 'generation';
const FILTER_TYPES: Record<TransactionFilter, Prisma.TransactionWhereInput> = {
  all: {},
  purchase: { type: 'purchase' },
  generation: { type: { in: ['generation', 'refund', 'earning'] } },
};

const party = { select: { id: true, username: true, profileImage: true } } as const;
const related = {
  sender: party,
  receiver: party,
  style: { select: { id: true, name: true } },
  generation: { select: { id: true, userId: true, status: true, resultImage: true } },
} as const;

/**
 * The caller's ledger entries (sent or received), newest first, with who/what each one concerns.
 * A generation is named only to its owner, with a download link once completed: an artist's
 * earning comes from a customer's generation, which may be private.
 */
export async function listTransactions(
  { db, storage }: Pick<AppDeps, 'db' | 'storage'>,
  viewer: Viewer,
  { type, limit, cursor }: { type: TransactionFilter; limit: number; cursor?: string | null },
) {
  const userId = viewer.userId;
  const rows = await db.transaction.findMany({
    where: {
      AND: [
        { OR: [{ senderId: userId }, { receiverId: userId }] },
        FILTER_TYPES[type],
        timeCursor.where(cursor),
      ],
    },
    orderBy: timeCursor.orderBy,
    take: limit + 1,
    include: related,
  });
  const page = pageOf(rows, limit, timeCursor.of);
  return { ...page, items: await Promise.all(page.items.map((row) => toEntry(storage, row, userId))) };
}

async function toEntry(
  storage: AppDeps['storage'],
  row: Prisma.TransactionGetPayload<{ include: typeof related }>,
  userId: string,
) {
  const generation = row.generation?.userId === userId ? row.generation : null;
  return {
    id: row.id,
    type: row.type,
    /** in = tokens came to the caller, out = tokens left the caller. */
    direction: row.receiverId === userId ? ('in' as const) : ('out' as const),
    amount: row.amount,
    pricePerToken: row.pricePerToken,
    totalPrice: Number(row.totalPrice),
    currency: row.currency,
    status: row.status,
    memo: row.memo,
    refunded: row.refunded,
    createdAt: row.createdAt,
    /** null = the platform. */
    sender: row.sender,
    receiver: row.receiver,
    style: row.style,
    /** The caller's own generation only; null for none or someone else's. */
    generation: generation && {
      id: generation.id,
      status: generation.status,
      resultUrl:
        generation.status === 'completed' ? await downloadUrl(storage, generation.resultImage) : null,
    },
  };
}

/** A pending purchase of a package: the order id the provider will carry, and where to pay. */
export async function createPurchase(
  { db, payments }: Pick<AppDeps, 'db' | 'payments'>,
  viewer: Viewer,
  { packageId }: { packageId: string },
) {
  const userId = viewer.userId;
  const pkg = findPackage(packageId);
  // Toss order ids: 6–64 characters of letters, digits, '-' and '_'.
  const orderId = `sl_${Date.now().toString(36)}_${randomBytes(12).toString('base64url')}`;
  const purchase = await db.purchase.create({
    data: {
      buyerId: userId,
      packageId: pkg.id,
      amountTokens: pkg.tokens,
      pricePerToken: pkg.price / pkg.tokens,
      currency: pkg.currency,
      totalPrice: pkg.price,
      provider: payments.name,
      providerOrderId: orderId,
      expiresAt: new Date(Date.now() + PURCHASE_TTL_MS),
    },
  });
  return {
    purchaseId: purchase.id,
    orderId,
    orderName: `Style License ${pkg.tokens} tokens`,
    packageId: pkg.id,
    tokens: pkg.tokens,
    amount: pkg.price,
    currency: pkg.currency,
    provider: payments.name,
    checkoutUrl: payments.checkoutUrl(orderId),
    expiresAt: purchase.expiresAt,
  };
}
