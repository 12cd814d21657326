import type { ReportTarget } from '@stylelicense/db';
import { z } from 'zod';
import type { AppDeps } from '../deps';
import { decodeCursor, encodeCursor, pageOf, type Page } from '../common/pagination';
import type { Viewer } from '../common/viewer';
import { reportSelect, toReportView, type ReportView } from './reports';

/** What a moderator needs to judge a report without opening the target. */
export type ReportTargetSummary =
  | { type: 'style'; name: string; artistId: string; artistName: string; isFlagged: boolean }
  | {
      type: 'generation';
      ownerId: string;
      ownerUsername: string;
      styleName: string;
      /** The owner's own hide. */
      isHidden: boolean;
      moderationHidden: boolean;
    }
  | {
      type: 'comment';
      authorId: string;
      authorUsername: string;
      content: string;
      generationId: string;
      moderationHidden: boolean;
    }
  | { type: 'user'; username: string; role: string; isActive: boolean };

export interface QueuedReport extends ReportView {
  reporter: { id: string; username: string };
  /** null when the target is gone (e.g. a comment deleted by its author). */
  target: ReportTargetSummary | null;
}

const oldestFirst = z.object({ t: z.string().datetime(), id: z.uuid() });

async function summaries(
  db: AppDeps['db'],
  ids: Record<ReportTarget, string[]>,
): Promise<Map<string, ReportTargetSummary>> {
  const [styles, generations, comments, users] = await Promise.all([
    db.style.findMany({
      where: { id: { in: ids.style } },
      select: {
        id: true,
        name: true,
        isFlagged: true,
        artist: { select: { userId: true, artistName: true } },
      },
    }),
    db.generation.findMany({
      where: { id: { in: ids.generation } },
      select: {
        id: true,
        isHidden: true,
        moderationHiddenAt: true,
        user: { select: { id: true, username: true } },
        style: { select: { name: true } },
      },
    }),
    db.comment.findMany({
      where: { id: { in: ids.comment } },
      select: {
        id: true,
        content: true,
        generationId: true,
        moderationHiddenAt: true,
        user: { select: { id: true, username: true } },
      },
    }),
    db.user.findMany({
      where: { id: { in: ids.user } },
      select: { id: true, username: true, role: true, isActive: true },
    }),
  ]);
  const found = new Map<string, ReportTargetSummary>();
  for (const s of styles)
    found.set(s.id, {
      type: 'style',
      name: s.name,
      artistId: s.artist.userId,
      artistName: s.artist.artistName,
      isFlagged: s.isFlagged,
    });
  for (const g of generations)
    found.set(g.id, {
      type: 'generation',
      ownerId: g.user.id,
      ownerUsername: g.user.username,
      styleName: g.style.name,
      isHidden: g.isHidden,
      moderationHidden: g.moderationHiddenAt !== null,
    });
  for (const c of comments)
    found.set(c.id, {
      type: 'comment',
      authorId: c.user.id,
      authorUsername: c.user.username,
      content: c.content,
      generationId: c.generationId,
      moderationHidden: c.moderationHiddenAt !== null,
    });
  for (const u of users)
    found.set(u.id, { type: 'user', username: u.username, role: u.role, isActive: u.isActive });
  return found;
}

/** Open reports, oldest first (first come, first judged), each with a summary of its target. */
export async function listOpenReports(
  { db }: Pick<AppDeps, 'db'>,
  _viewer: Viewer,
  { limit, cursor }: { limit: number; cursor?: string | null },
): Promise<Page<QueuedReport>> {
  const after = cursor ? decodeCursor(cursor, oldestFirst) : null;
  const rows = await db.report.findMany({
    where: {
      status: 'open',
      ...(after
        ? {
            OR: [
              { createdAt: { gt: new Date(after.t) } },
              { createdAt: new Date(after.t), id: { gt: after.id } },
            ],
          }
        : {}),
    },
    orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
    take: limit + 1,
    select: { ...reportSelect, reporter: { select: { id: true, username: true } } },
  });
  const ids: Record<ReportTarget, string[]> = { style: [], generation: [], comment: [], user: [] };
  for (const row of rows) ids[row.targetType].push(row.targetId);
  const targets = await summaries(db, ids);
  return pageOf(
    rows.map(({ reporter, ...row }) => ({
      ...toReportView(row),
      reporter,
      target: targets.get(row.targetId) ?? null,
    })),
    limit,
    (last) => encodeCursor({ t: last.createdAt.toISOString(), id: last.id }),
  );
}
