import { DomainError } from '@stylelicense/contracts';
import { withTransaction } from '@stylelicense/db';
import type { AppDeps } from '../deps';
import type { Viewer } from '../common/viewer';
import { publishAll } from '../messaging/events';
import { notify } from '../notifications/notifications';
import { encodeCursor, decodeCursor, pageOf, type Page } from '../common/pagination';
import { z } from 'zod';

/**
 * Follows `followingId`. The row insert and the artist's follower_count increment happen in one
 * transaction; the primary key decides duplicates (ON CONFLICT), so racing follows stay exact.
 */
export async function follow(
  { db, events }: Pick<AppDeps, 'db' | 'events'>,
  viewer: Viewer,
  { userId: followingId }: { userId: string },
): Promise<{ following: true }> {
  const followerId = viewer.userId;
  if (followerId === followingId)
    throw new DomainError('SELF_FOLLOW_NOT_ALLOWED', 'You cannot follow yourself.');
  const event = await withTransaction(db, async (tx) => {
    const target = await tx.user.findUnique({ where: { id: followingId }, select: { isActive: true } });
    if (!target?.isActive) throw new DomainError('NOT_FOUND', 'No such user.', { userId: followingId });
    const inserted = await tx.$executeRaw`
      INSERT INTO follows (follower_id, following_id) VALUES (${followerId}::uuid, ${followingId}::uuid)
      ON CONFLICT DO NOTHING`;
    if (inserted === 0)
      throw new DomainError('DUPLICATE_FOLLOW', 'You already follow this user.', { userId: followingId });
    await tx.$executeRaw`UPDATE artists SET follower_count = follower_count + 1 WHERE user_id = ${followingId}::uuid`;
    return notify(tx, {
      recipientId: followingId,
      actorId: followerId,
      type: 'follow',
      targetType: 'user',
      targetId: followerId,
      dedupeKey: `follow:${followingId}:${followerId}`,
    });
  });
  await publishAll(events, [event]);
  return { following: true };
}

/** Unfollows; unfollowing someone you do not follow changes nothing. */
export async function unfollow(
  { db }: Pick<AppDeps, 'db'>,
  viewer: Viewer,
  { userId: followingId }: { userId: string },
): Promise<{ following: false }> {
  const followerId = viewer.userId;
  await withTransaction(db, async (tx) => {
    const deleted = await tx.$executeRaw`
      DELETE FROM follows WHERE follower_id = ${followerId}::uuid AND following_id = ${followingId}::uuid`;
    if (deleted > 0) {
      await tx.$executeRaw`UPDATE artists SET follower_count = follower_count - 1 WHERE user_id = ${followingId}::uuid`;
    }
  });
  return { following: false };
}

export interface FollowedUser {
  id: string;
  username: string;
  profileImage: string | null;
  artistName: string | null;
  followedAt: Date;
}

const followCursor = z.object({ t: z.string().datetime(), id: z.string().uuid() });

/** Whom `userId` follows (direction 'following') or who follows them ('followers'), newest first. */
export async function listFollows(
  { db }: Pick<AppDeps, 'db'>,
  viewer: Viewer,
  {
    direction,
    limit,
    cursor,
  }: { direction: 'following' | 'followers'; limit: number; cursor?: string | null },
): Promise<Page<FollowedUser>> {
  const userId = viewer.userId;
  const after = cursor ? decodeCursor(cursor, followCursor) : null;
  const mine = direction === 'following' ? 'follower_id' : 'following_id';
  const other = direction === 'following' ? 'following_id' : 'follower_id';
  const rows = await db.$queryRawUnsafe<
    Array<{
      id: string;
      username: string;
      profile_image: string | null;
      artist_name: string | null;
      created_at: Date;
    }>
  >(
    `SELECT u.id::text, u.username, u.profile_image, a.artist_name, f.created_at
     FROM follows f JOIN users u ON u.id = f.${other} LEFT JOIN artists a ON a.user_id = u.id
     WHERE f.${mine} = $1::uuid AND ($2::timestamptz IS NULL OR (f.created_at, f.${other}) < ($2::timestamptz, $3::uuid))
     ORDER BY f.created_at DESC, f.${other} DESC LIMIT $4`,
    userId,
    after ? new Date(after.t) : null,
    after?.id ?? null,
    limit + 1,
  );
  return pageOf(
    rows.map((r) => ({
      id: r.id,
      username: r.username,
      profileImage: r.profile_image,
      artistName: r.artist_name,
      followedAt: r.created_at,
    })),
    limit,
    (last) => encodeCursor({ t: last.followedAt.toISOString(), id: last.id }),
  );
}
