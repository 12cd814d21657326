import type { ModerationActionKind, Prisma, ReportTarget, TransactionClient } from '@stylelicense/db';
import type { AppDeps } from '../deps';
import { pageOf, timeCursor, type Page } from '../common/pagination';
import type { Viewer } from '../common/viewer';

export interface AuditEntry {
  kind: ModerationActionKind;
  targetType: ReportTarget;
  targetId: string;
  reportId: string | null;
  note: string;
  details: Record<string, unknown>;
}

export interface AuditEntryView extends AuditEntry {
  id: string;
  /** Null for what was done at the command line (`admin:grant`); its details name the operator. */
  moderator: { id: string; username: string } | null;
  createdAt: Date;
}

const auditSelect = {
  id: true,
  kind: true,
  targetType: true,
  targetId: true,
  reportId: true,
  note: true,
  details: true,
  createdAt: true,
  moderator: { select: { id: true, username: true } },
} as const;

/** Appends one entry to the audit log in the action's own transaction (the table refuses edits). */
export async function recordAction(
  tx: TransactionClient,
  moderatorId: string | null,
  entry: AuditEntry,
): Promise<AuditEntryView> {
  const row = await tx.moderationAction.create({
    data: { moderatorId, ...entry, details: entry.details as Prisma.InputJsonObject },
    select: auditSelect,
  });
  return { ...row, details: row.details as Record<string, unknown> };
}

/** The audit log, newest first; optionally only what was done to one target. */
export async function listAuditLog(
  { db }: Pick<AppDeps, 'db'>,
  _viewer: Viewer,
  input: { limit: number; cursor?: string | null; targetType?: ReportTarget; targetId?: string },
): Promise<Page<AuditEntryView>> {
  const rows = await db.moderationAction.findMany({
    where: {
      ...(input.targetType ? { targetType: input.targetType } : {}),
      ...(input.targetId ? { targetId: input.targetId } : {}),
      ...timeCursor.where(input.cursor),
    },
    orderBy: timeCursor.orderBy,
    take: input.limit + 1,
    select: auditSelect,
  });
  return pageOf(
    rows.map((row) => ({ ...row, details: row.details as Record<string, unknown> })),
    input.limit,
    timeCursor.of,
  );
}
