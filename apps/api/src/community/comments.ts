import { DomainError } from '@stylelicense/contracts';
import { withTransaction } from '@stylelicense/db';
import type { AppDeps } from '../deps';
import { publishAll } from '../messaging/events';
import { uuidv7 } from '../common/ids';
import { notify } from '../notifications/notifications';
import { pageOf, timeCursor, type Page } from '../common/pagination';
import type { Viewer } from '../common/viewer';
import { assertGenerationVisible } from '../common/visibility';

export interface CommentView {
  id: string;
  generationId: string;
  parentId: string | null;
  content: string;
  author: { id: string; username: string; profileImage: string | null };
  createdAt: Date;
  updatedAt: Date;
  edited: boolean;
}

export interface ThreadView extends CommentView {
  /** Oldest first; replies cannot have replies of their own. */
  replies: CommentView[];
}

const commentSelect = {
  id: true,
  generationId: true,
  parentId: true,
  content: true,
  createdAt: true,
  updatedAt: true,
  user: { select: { id: true, username: true, profileImage: true } },
} as const;

type CommentRow = {
  id: string;
  generationId: string;
  parentId: string | null;
  content: string;
  createdAt: Date;
  updatedAt: Date;
  user: { id: string; username: string; profileImage: string | null };
};

// A comment is written with updated_at equal to created_at, so any edit, however soon, tells.
function toView({ user, ...row }: CommentRow): CommentView {
  return { ...row, author: user, edited: row.updatedAt.getTime() > row.createdAt.getTime() };
}

function cleanContent(content: string): string {
  const trimmed = content.trim();
  if (!trimmed) throw new DomainError('VALIDATION_ERROR', 'A comment cannot be empty.', { field: 'content' });
  return trimmed;
}

/**
 * Comments on a generation the viewer can see, or replies to a top-level comment (one level only:
 * REPLY_DEPTH_EXCEEDED). comment_count moves in the same transaction. The generation's owner and,
 * for a reply, the parent's author are notified (never about their own comment).
 */
export async function addComment(
  { db, events: bus }: Pick<AppDeps, 'db' | 'events'>,
  viewer: Viewer,
  { generationId, content, parentId }: { generationId: string; content: string; parentId?: string | null },
): Promise<CommentView> {
  const text = cleanContent(content);
  const { comment, events } = await withTransaction(db, async (tx) => {
    const { ownerId } = await assertGenerationVisible(tx, generationId, viewer);
    let parentAuthor: string | null = null;
    if (parentId) {
      // KEY SHARE: a concurrent delete of the parent waits for us (and then removes our reply with it).
      const [parent] = await tx.$queryRaw<
        Array<{ user_id: string; parent_id: string | null; generation_id: string }>
      >`
        SELECT user_id::text, parent_id::text, generation_id::text FROM comments WHERE id = ${parentId}::uuid FOR KEY SHARE`;
      if (!parent || parent.generation_id !== generationId)
        throw new DomainError('COMMENT_NOT_FOUND', 'No such comment.', { commentId: parentId });
      if (parent.parent_id)
        throw new DomainError(
          'REPLY_DEPTH_EXCEEDED',
          'Replies cannot have replies; reply to the comment above instead.',
        );
      parentAuthor = parent.user_id;
    }
    const postedAt = new Date();
    const created = await tx.comment.create({
      data: {
        id: uuidv7(),
        generationId,
        userId: viewer.userId,
        parentId: parentId ?? null,
        content: text,
        createdAt: postedAt,
        updatedAt: postedAt,
      },
      select: commentSelect,
    });
    await tx.$executeRaw`UPDATE generations SET comment_count = comment_count + 1 WHERE id = ${generationId}::uuid`;
    const metadata = { commentId: created.id, excerpt: text.slice(0, 140) };
    const events = [
      await notify(tx, {
        recipientId: ownerId,
        actorId: viewer.userId,
        type: 'comment',
        targetType: 'generation',
        targetId: generationId,
        metadata,
      }),
    ];
    if (parentAuthor && parentAuthor !== ownerId) {
      events.push(
        await notify(tx, {
          recipientId: parentAuthor,
          actorId: viewer.userId,
          type: 'comment',
          targetType: 'comment',
          targetId: parentId!,
          metadata,
        }),
      );
    }
    return { comment: toView(created), events };
  });
  await publishAll(bus, events);
  return comment;
}

/** Only the author edits; anyone else gets COMMENT_NOT_FOUND. */
export async function editComment(
  { db }: Pick<AppDeps, 'db'>,
  viewer: Viewer,
  { commentId, content }: { commentId: string; content: string },
): Promise<CommentView> {
  const text = cleanContent(content);
  const { count } = await db.comment.updateMany({
    where: { id: commentId, userId: viewer.userId },
    data: { content: text },
  });
  if (count === 0) throw new DomainError('COMMENT_NOT_FOUND', 'No such comment.', { commentId });
  return toView(await db.comment.findUniqueOrThrow({ where: { id: commentId }, select: commentSelect }));
}

/** The author or an admin deletes a comment together with its replies; comment_count drops by all of them. */
export async function deleteComment(
  { db }: Pick<AppDeps, 'db'>,
  viewer: Viewer,
  { commentId }: { commentId: string },
): Promise<{ deleted: number }> {
  return withTransaction(db, async (tx) => {
    // Lock first so a reply being written concurrently is either in our count or refused.
    const [comment] = await tx.$queryRaw<Array<{ user_id: string; generation_id: string }>>`
      SELECT user_id::text, generation_id::text FROM comments WHERE id = ${commentId}::uuid FOR UPDATE`;
    if (!comment || (comment.user_id !== viewer.userId && viewer.role !== 'admin')) {
      throw new DomainError('COMMENT_NOT_FOUND', 'No such comment.', { commentId });
    }
    const deleted =
      await tx.$executeRaw`DELETE FROM comments WHERE id = ${commentId}::uuid OR parent_id = ${commentId}::uuid`;
    await tx.$executeRaw`UPDATE generations SET comment_count = comment_count - ${deleted} WHERE id = ${comment.generation_id}::uuid`;
    return { deleted };
  });
}

/** Top-level comments, newest first, each with all its replies (oldest first). */
export async function listComments(
  { db }: Pick<AppDeps, 'db'>,
  viewer: Viewer | null,
  { generationId, limit, cursor }: { generationId: string; limit: number; cursor?: string | null },
): Promise<Page<ThreadView>> {
  await assertGenerationVisible(db, generationId, viewer);
  const rows = await db.comment.findMany({
    where: { generationId, parentId: null, ...timeCursor.where(cursor) },
    orderBy: timeCursor.orderBy,
    take: limit + 1,
    select: commentSelect,
  });
  const page = pageOf(rows, limit, timeCursor.of);
  const replies = await db.comment.findMany({
    where: { parentId: { in: page.items.map((c) => c.id) } },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    select: commentSelect,
  });
  return {
    ...page,
    items: page.items.map((c) => ({
      ...toView(c),
      replies: replies.filter((r) => r.parentId === c.id).map(toView),
    })),
  };
}
