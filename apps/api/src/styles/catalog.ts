import { DomainError, type LicenseType, type TrainingStatus } from '@stylelicense/contracts';
import { Prisma, queryRows } from '@stylelicense/db';
import { z } from 'zod';
import { downloadUrl } from '../common/media';
import { decodeCursor, encodeCursor, pageOf, type Page } from '../common/pagination';
import type { Deps } from './styles';
import { normalizeTags } from './tags';
import type { Viewer } from '../common/viewer';

export type StyleSort = 'recent' | 'popular';

export interface StyleCard {
  id: string;
  name: string;
  description: string;
  thumbnailUrl: string | null;
  licenseType: LicenseType;
  generationCostTokens: number;
  usageCount: number;
  trainingStatus: TrainingStatus;
  artist: { id: string; artistName: string; followerCount: number };
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

/** What the public catalogue shows; matches the partial index styles_listed_recent_idx. */
const LISTED = Prisma.sql`s.is_active AND NOT s.is_flagged AND s.training_status = 'completed'`;

/**
 * The catalogue: listed styles newest first, or popular (the artist's followers, then newest);
 * only styles carrying every tag given; one artist's. An artist (or an admin) may list their own
 * styles in any training status with `status`. Keyset cursors.
 */
export async function listStyles(
  deps: Deps,
  viewer: Viewer | null,
  { sort, tags = [], artistId, status, limit, cursor }: { sort: StyleSort; tags?: string[]; artistId?: string; status?: TrainingStatus; limit: number; cursor?: string | null },
): Promise<Page<StyleCard>> {
  const conditions: Prisma.Sql[] = [];
  if (status) {
    const own = viewer && artistId && (viewer.userId === artistId || viewer.role === 'admin');
    if (!own) throw new DomainError('FORBIDDEN', 'Only the artist may filter their styles by status.', { field: 'status' });
    conditions.push(Prisma.sql`s.training_status = ${status}::"TrainingStatus"`);
  } else {
    conditions.push(LISTED);
  }
  if (artistId) conditions.push(Prisma.sql`s.artist_id = ${artistId}::uuid`);
  const names = normalizeTags(tags);
  if (names.length) {
    const found = await deps.db.tag.findMany({ where: { name: { in: names } }, select: { id: true } });
    if (found.length < names.length) return { items: [], nextCursor: null, hasMore: false };
    const ids = found.map((t) => t.id);
    conditions.push(Prisma.sql`(SELECT count(*) FROM style_tags st WHERE st.style_id = s.id AND st.tag_id = ANY(${ids}::uuid[])) = ${ids.length}`);
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
    encodeCursor({ ...(sort === 'popular' ? { f: last.follower_count } : {}), t: last.created_at.toISOString(), id: last.id }),
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
        artist: { id: r.artist_id, artistName: r.artist_name, followerCount: r.follower_count },
        tags: r.tags,
        createdAt: r.created_at,
      })),
    ),
  };
}

/** The catalogue's one statement (tags included: one round trip per page) (exported for the bench's ceiling, which sends it through `pg`). */
export function styleCardsQuery(conditions: Prisma.Sql[], sort: StyleSort, take: number): Prisma.Sql {
  const order =
    sort === 'popular' ? Prisma.sql`a.follower_count DESC, s.created_at DESC, s.id DESC` : Prisma.sql`s.created_at DESC, s.id DESC`;
  return Prisma.sql`
    SELECT s.id::text, s.name, s.description, s.thumbnail, s.license_type::text AS license_type, s.generation_cost_tokens,
           s.usage_count, s.training_status::text AS training_status, a.user_id::text AS artist_id, a.artist_name, a.follower_count,
           s.created_at,
           ARRAY(SELECT t.name FROM style_tags st JOIN tags t ON t.id = st.tag_id WHERE st.style_id = s.id ORDER BY st.sequence) AS tags
    FROM styles s JOIN artists a ON a.user_id = s.artist_id
    WHERE ${Prisma.join(conditions, ' AND ')}
    ORDER BY ${order}
    LIMIT ${take}`;
}

export { LISTED as LISTED_STYLES };
