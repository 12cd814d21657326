import { DomainError } from '@stylelicense/contracts';
import { withTransaction } from '@stylelicense/db';
import type { AppDeps } from '../deps';
import { publishAll } from '../messaging/events';
import { notify } from '../notifications/notifications';
import type { Viewer } from '../common/viewer';
import { assertGenerationVisible } from '../common/visibility';

/**
 * Likes a generation the viewer can see (public, or their own). Insert and like_count increment
 * share one transaction and the primary key decides duplicates, so the count equals the rows
 * however many likes race. The owner is notified once per liker, however often they toggle.
 */
export async function like(
  { db, events }: Pick<AppDeps, 'db' | 'events'>,
  viewer: Viewer,
  { generationId }: { generationId: string },
): Promise<{ liked: true; likeCount: number }> {
  const { likeCount, event } = await withTransaction(db, async (tx) => {
    const { ownerId } = await assertGenerationVisible(tx, generationId, viewer);
    const inserted = await tx.$executeRaw`
      INSERT INTO likes (user_id, generation_id) VALUES (${viewer.userId}::uuid, ${generationId}::uuid) ON CONFLICT DO NOTHING`;
    if (inserted === 0) throw new DomainError('DUPLICATE_LIKE', 'You already like this.', { generationId });
    const [counted] = await tx.$queryRaw<Array<{ like_count: number }>>`
      UPDATE generations SET like_count = like_count + 1 WHERE id = ${generationId}::uuid RETURNING like_count`;
    const event = await notify(tx, {
      recipientId: ownerId,
      actorId: viewer.userId,
      type: 'like',
      targetType: 'generation',
      targetId: generationId,
      dedupeKey: `like:${generationId}:${viewer.userId}`,
    });
    return { likeCount: counted!.like_count, event };
  });
  await publishAll(events, [event]);
  return { liked: true, likeCount };
}

/** Removes the viewer's like; unliking what you do not like changes nothing. */
export async function unlike(
  { db }: Pick<AppDeps, 'db'>,
  viewer: Viewer,
  { generationId }: { generationId: string },
): Promise<{ liked: false; likeCount: number }> {
  return withTransaction(db, async (tx) => {
    await assertGenerationVisible(tx, generationId, viewer);
    const deleted = await tx.$executeRaw`
      DELETE FROM likes WHERE user_id = ${viewer.userId}::uuid AND generation_id = ${generationId}::uuid`;
    const [counted] =
      deleted > 0
        ? await tx.$queryRaw<Array<{ like_count: number }>>`
            UPDATE generations SET like_count = like_count - 1 WHERE id = ${generationId}::uuid RETURNING like_count`
        : await tx.$queryRaw<
            Array<{ like_count: number }>
          >`SELECT like_count FROM generations WHERE id = ${generationId}::uuid`;
    return { liked: false as const, likeCount: counted!.like_count };
  });
}
