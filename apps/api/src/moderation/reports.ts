import { DomainError } from '@stylelicense/contracts';
import type { Database, ReportReason, ReportStatus, ReportTarget } from '@stylelicense/db';
import type { AppDeps } from '../deps';
import { uuidv7 } from '../common/ids';
import { pageOf, timeCursor, type Page } from '../common/pagination';
import type { Viewer } from '../common/viewer';
import { assertGenerationVisible } from '../common/visibility';

export interface ReportView {
  id: string;
  targetType: ReportTarget;
  targetId: string;
  reason: ReportReason;
  note: string;
  evidenceLinks: string[];
  status: ReportStatus;
  /** The moderator's note when the report was resolved or dismissed. */
  closingNote: string | null;
  closedAt: Date | null;
  createdAt: Date;
}

export const reportSelect = {
  id: true,
  targetType: true,
  targetId: true,
  reason: true,
  note: true,
  evidenceLinks: true,
  status: true,
  closingNote: true,
  closedAt: true,
  createdAt: true,
} as const;

export function toReportView(row: {
  id: string;
  targetType: ReportTarget;
  targetId: string;
  reason: ReportReason;
  note: string;
  evidenceLinks: unknown;
  status: ReportStatus;
  closingNote: string | null;
  closedAt: Date | null;
  createdAt: Date;
}): ReportView {
  return { ...row, evidenceLinks: (row.evidenceLinks ?? []) as string[] };
}

export interface FileReportInput {
  targetType: ReportTarget;
  targetId: string;
  reason: ReportReason;
  note?: string;
  evidenceLinks?: string[];
}

/**
 * The target must exist and be visible to the reporter (REPORT_TARGET_NOT_FOUND otherwise, so
 * private generations cannot be probed through reports).
 */
async function assertReportable(db: Database, viewer: Viewer, { targetType, targetId }: FileReportInput) {
  const notFound = () =>
    new DomainError('REPORT_TARGET_NOT_FOUND', `No such ${targetType}.`, { targetType, targetId });
  if (targetType === 'style') {
    if (!(await db.style.findUnique({ where: { id: targetId }, select: { id: true } }))) throw notFound();
  } else if (targetType === 'user') {
    const user = await db.user.findUnique({ where: { id: targetId }, select: { isActive: true } });
    if (!user?.isActive) throw notFound();
  } else {
    const generationId =
      targetType === 'generation'
        ? targetId
        : (await db.comment.findUnique({ where: { id: targetId }, select: { generationId: true } }))
            ?.generationId;
    if (!generationId) throw notFound();
    await assertGenerationVisible(db, generationId, viewer).catch(() => {
      throw notFound();
    });
  }
}

/**
 * Files a report. One open report per reporter and target: a second one is DUPLICATE_REPORT until
 * the first is resolved or dismissed (a partial unique index decides, so racing requests agree).
 * An ownership claim needs at least one evidence link.
 */
export async function fileReport(
  { db }: Pick<AppDeps, 'db'>,
  viewer: Viewer,
  input: FileReportInput,
): Promise<ReportView> {
  const evidenceLinks = input.evidenceLinks ?? [];
  if (input.reason === 'ownership_claim' && evidenceLinks.length === 0)
    throw new DomainError('VALIDATION_ERROR', 'An ownership claim needs at least one evidence link.', {
      field: 'evidenceLinks',
    });
  await assertReportable(db, viewer, input);
  const id = uuidv7();
  const inserted = await db.$executeRaw`
    INSERT INTO reports (id, reporter_id, target_type, target_id, reason, note, evidence_links)
    VALUES (${id}::uuid, ${viewer.userId}::uuid, ${input.targetType}::"ReportTarget", ${input.targetId}::uuid,
            ${input.reason}::"ReportReason", ${input.note?.trim() ?? ''}, ${JSON.stringify(evidenceLinks)}::jsonb)
    ON CONFLICT (reporter_id, target_type, target_id) WHERE status = 'open' DO NOTHING`;
  if (inserted === 0)
    throw new DomainError('DUPLICATE_REPORT', 'You already have an open report about this.', {
      targetType: input.targetType,
      targetId: input.targetId,
    });
  return toReportView(await db.report.findUniqueOrThrow({ where: { id }, select: reportSelect }));
}

/** The viewer's own reports, newest first, with their status and the moderator's closing note. */
export async function listMyReports(
  { db }: Pick<AppDeps, 'db'>,
  viewer: Viewer,
  { limit, cursor }: { limit: number; cursor?: string | null },
): Promise<Page<ReportView>> {
  const rows = await db.report.findMany({
    where: { reporterId: viewer.userId, ...timeCursor.where(cursor) },
    orderBy: timeCursor.orderBy,
    take: limit + 1,
    select: reportSelect,
  });
  return pageOf(rows.map(toReportView), limit, timeCursor.of);
}
