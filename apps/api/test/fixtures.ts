import { randomBytes } from 'node:crypto';
import type { Database } from '@stylelicense/db';
import { withTransaction } from '@stylelicense/db';
import { creditWelcomeBonus } from '../src/tokens/ledger';

const suffix = () => randomBytes(4).toString('hex');

/** A signed-up user (welcome bonus through the ledger, so the books reconcile). */
export async function createUser(
  db: Database,
  { username, role = 'user' }: { username?: string; role?: 'user' | 'artist' | 'admin' } = {},
) {
  const name = username ?? `user_${suffix()}`;
  const user = await db.user.create({
    data: { username: name, provider: 'dev', providerUserId: name, role },
  });
  await withTransaction(db, (tx) => creditWelcomeBonus(tx, { userId: user.id }));
  return user;
}

/** An artist with one completed style costing `cost` tokens per image. */
export async function createArtistWithStyle(db: Database, { cost = 1 }: { cost?: number } = {}) {
  const artist = await createUser(db, { role: 'artist' });
  await db.artist.create({
    data: {
      userId: artist.id,
      artistName: `Artist ${suffix()}`,
      signatureImage: `signatures/${artist.id}.png`,
      verifiedEmail: 'a@example.com',
    },
  });
  const style = await db.style.create({
    data: {
      artistId: artist.id,
      name: `style ${suffix()}`,
      generationCostTokens: cost,
      trainingStatus: 'completed',
    },
  });
  return { artist, style };
}

/** Queued generation rows (no hold yet) for `userId` in `styleId`. */
export async function createGenerations(
  db: Database,
  { userId, styleId, count, cost = 1 }: { userId: string; styleId: string; count: number; cost?: number },
) {
  const rows = await db.generation.createManyAndReturn({
    data: Array.from({ length: count }, (_, i) => ({
      userId,
      styleId,
      aspectRatio: 'square' as const,
      seed: BigInt(i),
      consumedTokens: cost,
    })),
    select: { id: true },
  });
  return rows.map((row) => row.id);
}
