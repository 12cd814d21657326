import { Prisma, queryRows } from '@stylelicense/db';
import { z } from 'zod';
import { toViews, type Deps, type GenerationRow, type GenerationView } from './generations';
import { decodeCursor, encodeCursor, pageOf, type Page } from '../common/pagination';
import { tagIdsForFilter } from '../styles/tags';
import type { Viewer } from '../common/viewer';
import { markLiked, readViewerState } from '../community/viewer-state';
import { feedOrder, LISTED_GENERATIONS, selectGenerations, type FeedSort } from './queries';

const feedPosition = z.object({
  l: z.number().int().min(0).optional(),
  t: z.string().datetime(),
  id: z.uuid(),
});

/**
 * The public feed: public, visible, completed generations, newest first or most liked (then
 * newest), optionally only one author's or those carrying every tag given. The page is the same
 * for everyone (`isLiked` false throughout); `feedOverlay` adds a signed-in viewer's likes. Keyset
 * cursors, so page 1,000 costs what page 1 does.
 */
export async function listFeed(
  deps: Deps,
  _viewer: Viewer | null,
  {
    sort,
    tags = [],
    authorId,
    limit,
    cursor,
  }: { sort: FeedSort; tags?: string[]; authorId?: string; limit: number; cursor?: string | null },
): Promise<Page<GenerationView>> {
  const conditions = [LISTED_GENERATIONS];
  if (authorId) conditions.push(Prisma.sql`g.user_id = ${authorId}::uuid`);
  const ids = await tagIdsForFilter(deps.db, tags);
  if (!ids) return { items: [], nextCursor: null, hasMore: false };
  if (ids.length) {
    conditions.push(
      Prisma.sql`(SELECT count(*) FROM generation_tags gt WHERE gt.generation_id = g.id AND gt.tag_id = ANY(${ids}::uuid[])) = ${ids.length}`,
    );
  }
  if (cursor) {
    const after = decodeCursor(cursor, feedPosition);
    const at = new Date(after.t);
    conditions.push(
      sort === 'popular'
        ? Prisma.sql`(g.like_count, g.created_at, g.id) < (${after.l ?? 0}, ${at}::timestamptz, ${after.id}::uuid)`
        : Prisma.sql`(g.created_at, g.id) < (${at}::timestamptz, ${after.id}::uuid)`,
    );
  }
  const rows = await queryRows<GenerationRow>(
    deps.db,
    'generations.feed',
    selectGenerations(null, Prisma.join(conditions, ' AND '), feedOrder(sort, limit + 1)),
  );
  const page = pageOf(rows, limit, (last) =>
    encodeCursor({
      ...(sort === 'popular' ? { l: last.like_count } : {}),
      t: last.created_at.toISOString(),
      id: last.id,
    }),
  );
  return { ...page, items: await toViews(deps, null, page.items) };
}

/** The viewer's likes among a feed page's generations: `isLiked` set on the viewer's copy. */
export async function feedOverlay(
  deps: Deps,
  viewer: Viewer,
  page: Page<GenerationView>,
): Promise<(page: Page<GenerationView>) => Page<GenerationView>> {
  const { liked } = await readViewerState(deps, viewer, { generationIds: page.items.map((g) => g.id) });
  return (shared) => markLiked(shared, liked);
}
