import { DomainError } from '@stylelicense/contracts';
import { withTransaction, type TransactionClient } from '@stylelicense/db';
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
        Array<{ user_id: string; parent_id: string | null; generation_id: string; hidden: boolean }>
      >`
        SELECT user_id::text, parent_id::text, generation_id::text, moderation_hidden_at IS NOT NULL AS hidden
        FROM comments WHERE id = ${parentId}::uuid FOR KEY SHARE`;
      if (!parent || parent.generation_id !== generationId || parent.hidden)
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

/** Only the author edits (not what a moderator hid: HIDDEN_BY_MODERATION); anyone else gets COMMENT_NOT_FOUND. */
export async function editComment(
  { db }: Pick<AppDeps, 'db'>,
  viewer: Viewer,
  { commentId, content }: { commentId: string; content: string },
): Promise<CommentView> {
  const text = cleanContent(content);
  const { count } = await db.comment.updateMany({
    where: { id: commentId, userId: viewer.userId, moderationHiddenAt: null },
    data: { content: text },
  });
  if (count === 0) {
    const hidden = await db.comment.count({
      where: { id: commentId, userId: viewer.userId, moderationHiddenAt: { not: null } },
    });
    if (hidden) throw new DomainError('HIDDEN_BY_MODERATION', 'A moderator hid this comment.', { commentId });
    throw new DomainError('COMMENT_NOT_FOUND', 'No such comment.', { commentId });
  }
  return toView(await db.comment.findUniqueOrThrow({ where: { id: commentId }, select: commentSelect }));
}

/** The author or an admin deletes a comment together with its replies; comment_count drops by all of them. */
export async function deleteComment(
  { db }: Pick<AppDeps, 'db'>,
  viewer: Viewer,
  { commentId }: { commentId: string },
): Promise<{ deleted: number }> {
  return withTransaction(db, async (tx) => {
    const removed = await removeCommentThread(
      tx,
      commentId,
      (author) => author === viewer.userId || viewer.role === 'admin',
    );
    if (!removed) throw new DomainError('COMMENT_NOT_FOUND', 'No such comment.', { commentId });
    return { deleted: removed.deleted };
  });
}

interface RemovedComment {
  deleted: number;
  authorId: string;
  generationId: string;
  content: string;
}

interface LockedComment {
  user_id: string;
  generation_id: string;
  content: string;
  hidden: boolean;
}

/**
 * Locks a comment's thread (its top-level comment first, then the comment), so deletes, hides and
 * new replies in one thread take turns and comment_count moves by what each really changed.
 */
async function lockThread(tx: TransactionClient, commentId: string): Promise<LockedComment | null> {
  const [found] = await tx.$queryRaw<Array<{ parent_id: string | null }>>`
    SELECT parent_id::text FROM comments WHERE id = ${commentId}::uuid`;
  if (!found) return null;
  if (found.parent_id)
    await tx.$queryRaw`SELECT 1 FROM comments WHERE id = ${found.parent_id}::uuid FOR UPDATE`;
  const [comment] = await tx.$queryRaw<LockedComment[]>`
    SELECT user_id::text, generation_id::text, content, moderation_hidden_at IS NOT NULL AS hidden
    FROM comments WHERE id = ${commentId}::uuid FOR UPDATE`;
  return comment ?? null;
}

/** Rows of a comment's thread (it and its replies) that comment_count counts: none hidden, nor their parent. */
async function shownInThread(tx: TransactionClient, commentId: string): Promise<number> {
  const [row] = await tx.$queryRaw<Array<{ shown: number }>>`
    SELECT COUNT(*)::int AS shown FROM comments c LEFT JOIN comments p ON p.id = c.parent_id
    WHERE (c.id = ${commentId}::uuid OR c.parent_id = ${commentId}::uuid)
      AND c.moderation_hidden_at IS NULL AND p.moderation_hidden_at IS NULL`;
  return row?.shown ?? 0;
}

/**
 * Deletes a comment and its replies in the caller's transaction when `allowed(authorId)` says so,
 * keeping comment_count equal to the rows shown; null when there is no such comment or it is not allowed.
 */
async function removeCommentThread(
  tx: TransactionClient,
  commentId: string,
  allowed: (authorId: string) => boolean,
): Promise<RemovedComment | null> {
  // Lock first so a reply being written concurrently is either in our count or refused.
  const comment = await lockThread(tx, commentId);
  if (!comment || !allowed(comment.user_id)) return null;
  const shown = await shownInThread(tx, commentId);
  const deleted =
    await tx.$executeRaw`DELETE FROM comments WHERE id = ${commentId}::uuid OR parent_id = ${commentId}::uuid`;
  await tx.$executeRaw`UPDATE generations SET comment_count = comment_count - ${shown} WHERE id = ${comment.generation_id}::uuid`;
  return {
    deleted,
    authorId: comment.user_id,
    generationId: comment.generation_id,
    content: comment.content,
  };
}

/**
 * A moderator hides or unhides a comment (with its replies) in the caller's transaction;
 * comment_count moves by the rows that left or came back. Null when there is no such comment,
 * `changed: false` when it already was in that state.
 */
export async function setCommentModerationHidden(
  tx: TransactionClient,
  commentId: string,
  hidden: boolean,
): Promise<{ authorId: string; generationId: string; content: string; changed: boolean } | null> {
  const comment = await lockThread(tx, commentId);
  if (!comment) return null;
  const found = { authorId: comment.user_id, generationId: comment.generation_id, content: comment.content };
  if (comment.hidden === hidden) return { ...found, changed: false };
  const before = await shownInThread(tx, commentId);
  // Raw, so updated_at (what marks an author's edit) stays as the author left it.
  await tx.$executeRaw`UPDATE comments SET moderation_hidden_at = ${hidden ? new Date() : null}::timestamptz WHERE id = ${commentId}::uuid`;
  const delta = (await shownInThread(tx, commentId)) - before;
  await tx.$executeRaw`UPDATE generations SET comment_count = comment_count + ${delta} WHERE id = ${comment.generation_id}::uuid`;
  return { ...found, changed: true };
}

/** Top-level comments, newest first, each with all its replies (oldest first); none a moderator hid. */
export async function listComments(
  { db }: Pick<AppDeps, 'db'>,
  viewer: Viewer | null,
  { generationId, limit, cursor }: { generationId: string; limit: number; cursor?: string | null },
): Promise<Page<ThreadView>> {
  await assertGenerationVisible(db, generationId, viewer);
  const rows = await db.comment.findMany({
    where: { generationId, parentId: null, moderationHiddenAt: null, ...timeCursor.where(cursor) },
    orderBy: timeCursor.orderBy,
    take: limit + 1,
    select: commentSelect,
  });
  const page = pageOf(rows, limit, timeCursor.of);
  const replies = await db.comment.findMany({
    where: { parentId: { in: page.items.map((c) => c.id) }, moderationHiddenAt: null },
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
