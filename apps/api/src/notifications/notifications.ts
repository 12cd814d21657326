import { DomainError, type DomainEvent, type NotificationType } from '@stylelicense/contracts';
import type { Database, NotificationTarget, TransactionClient } from '@stylelicense/db';
import { uuidv7 } from '../common/ids';
import { pageOf, timeCursor, type Page } from '../common/pagination';
import type { AppDeps } from '../deps';
import type { Viewer } from '../common/viewer';
import { thumbnailsFor } from './thumbnails';

export interface NotifyInput {
  recipientId: string;
  /** Who caused it; null = the system (job outcomes). */
  actorId: string | null;
  type: NotificationType;
  targetType: NotificationTarget;
  targetId: string;
  metadata?: Record<string, unknown>;
  /**
   * Collapses repeats of one cause: a second notification with the same key is not created
   * (like → unlike → like notifies once). Job outcomes use e.g. `generation_complete:<id>`.
   */
  dedupeKey?: string;
}

/**
 * Creates a notification in the caller's transaction (the same one as its cause). Nobody is
 * notified about their own action, and a repeated `dedupeKey` creates nothing. Returns the event
 * to publish on the bus AFTER the transaction commits (`publishAll(deps.events, [event])`), or null
 * when nothing was created.
 */
export async function notify(tx: TransactionClient, input: NotifyInput): Promise<DomainEvent | null> {
  if (input.actorId !== null && input.actorId === input.recipientId) return null;
  const id = uuidv7();
  const rows = await tx.$queryRaw<Array<{ id: string; created_at: Date }>>`
    INSERT INTO notifications (id, recipient_id, actor_id, type, target_type, target_id, metadata, dedupe_key)
    VALUES (${id}::uuid, ${input.recipientId}::uuid, ${input.actorId}::uuid, ${input.type}::"NotificationType",
            ${input.targetType}::"NotificationTarget", ${input.targetId}::uuid, ${JSON.stringify(input.metadata ?? {})}::jsonb,
            ${input.dedupeKey ?? null})
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id::text, created_at`;
  const row = rows[0];
  if (!row) return null;
  return {
    v: 1,
    type: 'notification.created',
    ownerId: input.recipientId,
    notificationId: row.id,
    notificationType: input.type,
    actorId: input.actorId,
    targetType: input.targetType,
    targetId: input.targetId,
    occurredAt: row.created_at.toISOString(),
  };
}

export interface NotificationView {
  id: string;
  type: NotificationType;
  actor: { id: string; username: string; profileImage: string | null } | null;
  targetType: NotificationTarget;
  targetId: string;
  metadata: Record<string, unknown>;
  isRead: boolean;
  createdAt: Date;
  /** The image or style the notification is about, when the recipient may see it. */
  thumbnailUrl: string | null;
}

const notificationSelect = {
  id: true,
  type: true,
  targetType: true,
  targetId: true,
  metadata: true,
  isRead: true,
  createdAt: true,
  actor: { select: { id: true, username: true, profileImage: true } },
} as const;

export async function listNotifications(
  deps: Pick<AppDeps, 'db' | 'storage'>,
  viewer: Viewer,
  { limit, cursor, unreadOnly }: { limit: number; cursor?: string | null; unreadOnly?: boolean },
): Promise<Page<NotificationView>> {
  const rows = await deps.db.notification.findMany({
    where: {
      recipientId: viewer.userId,
      ...(unreadOnly ? { isRead: false } : {}),
      ...timeCursor.where(cursor),
    },
    orderBy: timeCursor.orderBy,
    take: limit + 1,
    select: notificationSelect,
  });
  const thumbnails = await thumbnailsFor(deps, viewer, rows.slice(0, limit));
  return pageOf(
    rows.map((row) => ({
      ...row,
      metadata: (row.metadata ?? {}) as Record<string, unknown>,
      thumbnailUrl: thumbnails.get(row.targetId) ?? null,
    })),
    limit,
    timeCursor.of,
  );
}

export async function countUnread({ db }: Pick<AppDeps, 'db'>, viewer: Viewer): Promise<{ count: number }> {
  return { count: await db.notification.count({ where: { recipientId: viewer.userId, isRead: false } }) };
}

/** Only the recipient may mark a notification; anyone else gets NOT_FOUND (no existence leak). */
export async function markRead(
  { db }: Pick<AppDeps, 'db'>,
  viewer: Viewer,
  { notificationId }: { notificationId: string },
): Promise<{ ok: true }> {
  // read_at is set once, on the first read: the purge counts from it.
  const count = await db.$executeRaw`
    UPDATE notifications SET is_read = true, read_at = COALESCE(read_at, now())
    WHERE id = ${notificationId}::uuid AND recipient_id = ${viewer.userId}::uuid`;
  if (count === 0) throw new DomainError('NOT_FOUND', 'No such notification.', { notificationId });
  return { ok: true };
}

export async function markAllRead({ db }: Pick<AppDeps, 'db'>, viewer: Viewer): Promise<{ updated: number }> {
  const { count } = await db.notification.updateMany({
    where: { recipientId: viewer.userId, isRead: false },
    data: { isRead: true, readAt: new Date() },
  });
  return { updated: count };
}

export const READ_NOTIFICATION_RETENTION_DAYS = 30;

/** Deletes notifications read more than 30 days ago; returns how many. */
export async function purgeReadNotifications(db: Database, now = new Date()): Promise<number> {
  const cutoff = new Date(now.getTime() - READ_NOTIFICATION_RETENTION_DAYS * 24 * 60 * 60 * 1000);
  const { count } = await db.notification.deleteMany({ where: { isRead: true, readAt: { lt: cutoff } } });
  return count;
}
