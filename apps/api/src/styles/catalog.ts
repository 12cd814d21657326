import { DomainError, type LicenseType, type TrainingStatus } from '@stylelicense/contracts';
import { Prisma, queryRows } from '@stylelicense/db';
import { z } from 'zod';
import { downloadUrl } from '../common/media';
import { decodeCursor, encodeCursor, pageOf, type Page } from '../common/pagination';
import type { Deps } from './style-view';
import { tagIdsForFilter } from './tags';
import type { Viewer } from '../common/viewer';
import { markFollowedArtists, readViewerState } from '../community/viewer-state';
import { LISTED_STYLES, styleCardsQuery, type StyleSort } from './queries';

export interface StyleCard {
  id: string;
  name: string;
  description: string;
  thumbnailUrl: string | null;
  licenseType: LicenseType;
  generationCostTokens: number;
  usageCount: number;
  trainingStatus: TrainingStatus;
  /** `isFollowed`: the signed-in viewer follows this artist (false for anyone else). */
  artist: { id: string; artistName: string; followerCount: number; isFollowed: boolean };
  tags: string[];
  createdAt: Date;
}

interface CardRow {
  id: string;
  name: string;
  description: string;
  thumbnail: string | null;
  license_type: LicenseType;
  generation_cost_tokens: number;
  usage_count: number;
  training_status: TrainingStatus;
  artist_id: string;
  artist_name: string;
  follower_count: number;
  created_at: Date;
  tags: string[];
}

const position = z.object({ f: z.number().int().min(0).optional(), t: z.string().datetime(), id: z.uuid() });

/**
 * The catalogue: listed styles newest first, or popular (the artist's followers, then newest);
 * only styles carrying every tag given; one artist's. An artist (or an admin) may list their own
 * styles in any training status with `status`; `followedBy` keeps the artists a user follows. Keyset cursors. Without `status` the page is the same
 * for everyone; `catalogOverlay` adds whom a signed-in viewer follows.
 */
export async function listStyles(
  deps: Deps,
  viewer: Viewer | null,
  {
    sort,
    tags = [],
    artistId,
    status,
    followedBy,
    limit,
    cursor,
  }: {
    sort: StyleSort;
    tags?: string[];
    artistId?: string;
    status?: TrainingStatus;
    /** Only styles of artists this user follows (their "artists I follow" page; never shared). */
    followedBy?: string;
    limit: number;
    cursor?: string | null;
  },
): Promise<Page<StyleCard>> {
  const conditions: Prisma.Sql[] = [];
  if (status) {
    const own = viewer && artistId && (viewer.userId === artistId || viewer.role === 'admin');
    if (!own)
      throw new DomainError('FORBIDDEN', 'Only the artist may filter their styles by status.', {
        field: 'status',
      });
    conditions.push(Prisma.sql`s.training_status = ${status}::"TrainingStatus"`);
  } else {
    conditions.push(LISTED_STYLES);
  }
  if (artistId) conditions.push(Prisma.sql`s.artist_id = ${artistId}::uuid`);
  if (followedBy)
    conditions.push(
      Prisma.sql`s.artist_id IN (SELECT f.following_id FROM follows f WHERE f.follower_id = ${followedBy}::uuid)`,
    );
  const ids = await tagIdsForFilter(deps.db, tags);
  if (!ids) return { items: [], nextCursor: null, hasMore: false };
  if (ids.length) {
    conditions.push(
      Prisma.sql`(SELECT count(*) FROM style_tags st WHERE st.style_id = s.id AND st.tag_id = ANY(${ids}::uuid[])) = ${ids.length}`,
    );
  }
  if (cursor) {
    const after = decodeCursor(cursor, position);
    const at = new Date(after.t);
    conditions.push(
      sort === 'popular'
        ? Prisma.sql`(a.follower_count, s.created_at, s.id) < (${after.f ?? 0}, ${at}::timestamptz, ${after.id}::uuid)`
        : Prisma.sql`(s.created_at, s.id) < (${at}::timestamptz, ${after.id}::uuid)`,
    );
  }
  const rows = await queryRows<CardRow>(deps.db, 'styles.list', styleCardsQuery(conditions, sort, limit + 1));
  const page = pageOf(rows, limit, (last) =>
    encodeCursor({
      ...(sort === 'popular' ? { f: last.follower_count } : {}),
      t: last.created_at.toISOString(),
      id: last.id,
    }),
  );
  return {
    ...page,
    items: await Promise.all(
      page.items.map(async (r) => ({
        id: r.id,
        name: r.name,
        description: r.description,
        thumbnailUrl: await downloadUrl(deps.storage, r.thumbnail),
        licenseType: r.license_type,
        generationCostTokens: r.generation_cost_tokens,
        usageCount: r.usage_count,
        trainingStatus: r.training_status,
        artist: {
          id: r.artist_id,
          artistName: r.artist_name,
          followerCount: r.follower_count,
          isFollowed: followedBy !== undefined,
        },
        tags: r.tags,
        createdAt: r.created_at,
      })),
    ),
  };
}

/** Whom the viewer follows among a catalogue page's artists: `artist.isFollowed` on the viewer's copy. */
export async function catalogOverlay(
  deps: Deps,
  viewer: Viewer,
  page: Page<StyleCard>,
): Promise<(page: Page<StyleCard>) => Page<StyleCard>> {
  const { followed } = await readViewerState(deps, viewer, { userIds: page.items.map((s) => s.artist.id) });
  return (shared) => markFollowedArtists(shared, followed);
}
