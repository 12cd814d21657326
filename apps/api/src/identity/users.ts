import { DomainError } from '@stylelicense/contracts';
import { Prisma, withTransaction } from '@stylelicense/db';
import { verifySignatureImage } from '@stylelicense/imaging';
import { storageKeys } from '@stylelicense/storage';
import { decodeCursor, encodeCursor, pageOf, type Page } from '../common/pagination';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import type { Viewer } from '../common/viewer';

/**
 * A public profile: who they are, what they made, whom they follow, and their artist block. The
 * generation count is of what the viewer may see: all visible ones to the user (or an admin), the
 * published ones to anyone else.
 */
export async function userProfile(
  { db }: Pick<AppDeps, 'db'>,
  viewer: Viewer | null,
  { userId }: { userId: string },
) {
  const user = await db.user.findUnique({
    where: { id: userId },
    select: {
      id: true,
      username: true,
      profileImage: true,
      bio: true,
      role: true,
      isActive: true,
      createdAt: true,
      artist: { select: { artistName: true, followerCount: true, createdAt: true } },
    },
  });
  if (!user || !user.isActive) throw new DomainError('NOT_FOUND', 'No such user.', { userId });
  const seesAll = viewer !== null && (viewer.userId === userId || viewer.role === 'admin');
  const [publicGenerations, following, allGenerations, followed] = await Promise.all([
    db.generation.count({ where: { userId, isHidden: false, isPublic: true } }),
    db.follow.count({ where: { followerId: userId } }),
    seesAll ? db.generation.count({ where: { userId, isHidden: false } }) : null,
    viewer && viewer.userId !== userId
      ? db.follow.count({ where: { followerId: viewer.userId, followingId: userId } })
      : 0,
  ]);
  const generations = allGenerations ?? publicGenerations;
  const { isActive: _isActive, artist, ...profile } = user;
  // Whether the one looking follows this person (false when signed out or looking at themselves).
  const isFollowing = followed > 0;
  return { ...profile, stats: { generations, publicGenerations, following }, artist, isFollowing };
}

/** The signed-in user: profile, role, balances and their artist profile (with private fields). */
export async function me({ db }: Pick<AppDeps, 'db'>, viewer: Viewer) {
  const userId = viewer.userId;
  const user = await db.user.findUnique({
    where: { id: userId },
    select: {
      id: true,
      username: true,
      email: true,
      profileImage: true,
      bio: true,
      role: true,
      tokenBalance: true,
      createdAt: true,
      artist: {
        select: {
          artistName: true,
          verifiedEmail: true,
          followerCount: true,
          earnedTokenBalance: true,
          createdAt: true,
        },
      },
    },
  });
  if (!user) throw new DomainError('UNAUTHORIZED', 'Sign in first.');
  return user;
}

export const profileUpdate = z.object({
  username: z
    .string()
    .regex(/^[A-Za-z0-9_.]{3,50}$/, '3–50 letters, digits, "_" or "."')
    .optional(),
  bio: z.string().max(500).optional(),
});

export async function updateProfile(
  { db }: Pick<AppDeps, 'db'>,
  viewer: Viewer,
  changes: z.infer<typeof profileUpdate>,
) {
  const userId = viewer.userId;
  try {
    await db.user.update({
      where: { id: userId },
      data: { username: changes.username, bio: changes.bio?.trim() },
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw new DomainError('CONFLICT', 'That username is taken.', { field: 'username' });
    }
    throw error;
  }
  return me({ db }, viewer);
}

/**
 * A user becomes an artist: an artist name, an e-mail one of their sign-in accounts verified, and a
 * signature (PNG with transparency, checked by its bytes) stored privately under signatures/.
 */
export async function upgradeToArtist(
  { db, storage }: Pick<AppDeps, 'db' | 'storage'>,
  viewer: Viewer,
  input: { artistName: string; email?: string; signaturePng: Uint8Array },
) {
  const userId = viewer.userId;
  if (await db.artist.findUnique({ where: { userId }, select: { userId: true } })) {
    throw new DomainError('CONFLICT', 'You are already an artist.');
  }
  const verified = await db.oAuthAccount.findMany({
    where: { userId, emailVerified: true, email: { not: null } },
    select: { email: true },
  });
  const email = input.email ?? verified[0]?.email;
  if (!email || !verified.some((account) => account.email!.toLowerCase() === email.toLowerCase())) {
    throw new DomainError('VALIDATION_ERROR', 'Use an e-mail address your sign-in account has verified.', {
      field: 'email',
    });
  }
  await verifySignatureImage(input.signaturePng);
  const signatureImage = storageKeys.signature(userId);
  await storage.put(signatureImage, input.signaturePng, {
    contentType: 'image/png',
    contentLength: input.signaturePng.byteLength,
  });
  try {
    await withTransaction(db, async (tx) => {
      await tx.artist.create({
        data: { userId, artistName: input.artistName.trim(), verifiedEmail: email, signatureImage },
      });
      // Admins stay admins (they act as artists too).
      await tx.user.updateMany({ where: { id: userId, role: 'user' }, data: { role: 'artist' } });
    });
  } catch (error) {
    if (error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002') {
      throw new DomainError('CONFLICT', 'You are already an artist.');
    }
    throw error;
  }
  return me({ db }, viewer);
}

const followPosition = z.object({ t: z.string().datetime(), id: z.string().uuid() });

/** Whom `userId` follows, most recent first. */
export async function listFollowing(
  { db }: Pick<AppDeps, 'db'>,
  viewer: Viewer | null,
  { userId = viewer?.userId, limit, cursor }: { userId?: string; limit: number; cursor?: string | null },
): Promise<
  Page<{
    followedAt: Date;
    user: {
      id: string;
      username: string;
      profileImage: string | null;
      artist: { artistName: string; followerCount: number } | null;
    };
  }>
> {
  if (!userId) throw new DomainError('UNAUTHORIZED', 'Sign in or name a user.');
  // As in the original, whom someone follows is theirs to see (and an admin's), no one else's.
  if (!viewer || (viewer.userId !== userId && viewer.role !== 'admin'))
    throw new DomainError('FORBIDDEN', 'Only you can see whom you follow.', { userId });
  const after = cursor ? decodeCursor(cursor, followPosition) : null;
  const rows = await db.follow.findMany({
    where: {
      followerId: userId,
      ...(after
        ? {
            OR: [
              { createdAt: { lt: new Date(after.t) } },
              { createdAt: new Date(after.t), followingId: { lt: after.id } },
            ],
          }
        : {}),
    },
    orderBy: [{ createdAt: 'desc' }, { followingId: 'desc' }],
    take: limit + 1,
    select: {
      createdAt: true,
      followingId: true,
      following: {
        select: {
          id: true,
          username: true,
          profileImage: true,
          artist: { select: { artistName: true, followerCount: true } },
        },
      },
    },
  });
  const page = pageOf(rows, limit, (last) =>
    encodeCursor({ t: last.createdAt.toISOString(), id: last.followingId }),
  );
  return { ...page, items: page.items.map((row) => ({ followedAt: row.createdAt, user: row.following })) };
}
