import { DomainError, type DomainEvent } from '@stylelicense/contracts';
import { withTransaction, type ReportTarget, type TransactionClient } from '@stylelicense/db';
import type { AppDeps } from '../deps';
import { publishAll } from '../messaging/events';
import { notify, type NotifyInput } from '../notifications/notifications';
import type { Viewer } from '../common/viewer';
import { recordAction, type AuditEntry, type AuditEntryView } from './audit';

export type Deps = Pick<AppDeps, 'db' | 'events'>;

export interface ActionInput {
  note: string;
  /** The report this action answers: it is resolved with the same note and its reporter notified. */
  reportId?: string;
}

export interface Applied {
  details: Record<string, unknown>;
  /** Who to tell (the owner of what was acted on); the moderator is the actor. */
  notices: Array<Omit<NotifyInput, 'actorId'>>;
}

/**
 * Runs one moderation action in one transaction: the change itself, the report it answers (closed
 * as resolved), the audit entry and the notifications; events go out after the commit.
 */
export async function moderate(
  deps: Deps,
  viewer: Viewer,
  entry: Pick<AuditEntry, 'kind' | 'targetType' | 'targetId'> & ActionInput,
  apply: (tx: TransactionClient) => Promise<Applied>,
): Promise<AuditEntryView> {
  const events: Array<DomainEvent | null> = [];
  const logged = await withTransaction(deps.db, async (tx) => {
    const { details, notices } = await apply(tx);
    if (entry.reportId)
      events.push(await closeReport(tx, viewer, entry.reportId, 'resolved', entry.note, entry));
    for (const notice of notices) events.push(await notify(tx, { ...notice, actorId: viewer.userId }));
    return recordAction(tx, viewer.userId, {
      kind: entry.kind,
      targetType: entry.targetType,
      targetId: entry.targetId,
      reportId: entry.reportId ?? null,
      note: entry.note,
      details,
    });
  });
  await publishAll(deps.events, events);
  return logged;
}

/**
 * Closes an open report (REPORT_NOT_FOUND / REPORT_ALREADY_CLOSED otherwise) and notifies its
 * reporter. When an action answers it, the report must be about that action's target.
 */
async function closeReport(
  tx: TransactionClient,
  viewer: Viewer,
  reportId: string,
  status: 'resolved' | 'dismissed',
  note: string,
  target?: { targetType: ReportTarget; targetId: string },
): Promise<DomainEvent | null> {
  const report = await tx.report.findUnique({
    where: { id: reportId },
    select: { status: true, reporterId: true, targetType: true, targetId: true },
  });
  if (!report || (target && (report.targetType !== target.targetType || report.targetId !== target.targetId)))
    throw new DomainError('REPORT_NOT_FOUND', 'No such report about this target.', { reportId });
  const { count } = await tx.report.updateMany({
    where: { id: reportId, status: 'open' },
    data: { status, closedById: viewer.userId, closingNote: note, closedAt: new Date() },
  });
  if (count === 0)
    throw new DomainError('REPORT_ALREADY_CLOSED', 'This report was already resolved or dismissed.', {
      reportId,
      status: report.status,
    });
  return notify(tx, {
    recipientId: report.reporterId,
    actorId: viewer.userId,
    type: status === 'resolved' ? 'report_resolved' : 'report_dismissed',
    targetType: 'report',
    targetId: reportId,
    metadata: { note, targetType: report.targetType, targetId: report.targetId },
  });
}

/** Resolves or dismisses a report without acting on its target (e.g. after acting separately). */
export async function closeReportOnly(
  deps: Deps,
  viewer: Viewer,
  input: { reportId: string; note: string; status: 'resolved' | 'dismissed' },
): Promise<AuditEntryView> {
  const report = await deps.db.report.findUnique({
    where: { id: input.reportId },
    select: { targetType: true, targetId: true },
  });
  if (!report) throw new DomainError('REPORT_NOT_FOUND', 'No such report.', { reportId: input.reportId });
  const events: Array<DomainEvent | null> = [];
  const logged = await withTransaction(deps.db, async (tx) => {
    events.push(await closeReport(tx, viewer, input.reportId, input.status, input.note));
    return recordAction(tx, viewer.userId, {
      kind: input.status === 'resolved' ? 'resolve_report' : 'dismiss_report',
      ...report,
      reportId: input.reportId,
      note: input.note,
      details: {},
    });
  });
  await publishAll(deps.events, events);
  return logged;
}

/**
 * Flags or unflags a style. A flagged style cannot be generated with (STYLE_FLAGGED); images
 * already made stay with their owners. The artist is told either way.
 */
export async function setStyleFlag(
  deps: Deps,
  viewer: Viewer,
  input: ActionInput & { styleId: string; flagged: boolean },
): Promise<AuditEntryView> {
  const kind = input.flagged ? 'flag_style' : 'unflag_style';
  return moderate(
    deps,
    viewer,
    { ...input, kind, targetType: 'style', targetId: input.styleId },
    async (tx) => {
      const style = await tx.style.findUnique({
        where: { id: input.styleId },
        select: { name: true, artistId: true, isFlagged: true },
      });
      if (!style) throw new DomainError('STYLE_NOT_FOUND', 'No such style.', { styleId: input.styleId });
      // Conditional, so two moderators racing change it (and notify) once.
      const { count } = await tx.style.updateMany({
        where: { id: input.styleId, isFlagged: !input.flagged },
        data: { isFlagged: input.flagged },
      });
      if (count === 0)
        throw new DomainError(
          'CONFLICT',
          `The style is already ${input.flagged ? 'flagged' : 'unflagged'}.`,
          {
            styleId: input.styleId,
          },
        );
      return {
        details: { styleName: style.name },
        notices: [
          {
            recipientId: style.artistId,
            type: input.flagged ? 'style_flagged' : 'style_unflagged',
            targetType: 'style',
            targetId: input.styleId,
            metadata: { styleName: style.name, note: input.note },
          },
        ],
      };
    },
  );
}

/** Deactivates a user: their sessions stop working at once and they cannot sign in again. */
export async function deactivateUser(
  deps: Deps,
  viewer: Viewer,
  input: ActionInput & { userId: string },
): Promise<AuditEntryView> {
  if (input.userId === viewer.userId)
    throw new DomainError('VALIDATION_ERROR', 'You cannot deactivate yourself.', { field: 'userId' });
  const target = { kind: 'deactivate_user', targetType: 'user', targetId: input.userId } as const;
  return moderate(deps, viewer, { ...input, ...target }, async (tx) => {
    const { count } = await tx.user.updateMany({
      where: { id: input.userId, isActive: true },
      data: { isActive: false },
    });
    if (count === 0) throw new DomainError('NOT_FOUND', 'No such active user.', { userId: input.userId });
    await tx.session.deleteMany({ where: { userId: input.userId } });
    return { details: {}, notices: [] };
  });
}
