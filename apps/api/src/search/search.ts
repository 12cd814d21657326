import type { LicenseType } from '@stylelicense/contracts';
import type { Database } from '@stylelicense/db';
import type { ObjectStorage } from '@stylelicense/storage';
import { z } from 'zod';
import { downloadUrl } from '../common/media';
import { decodeCursor, encodeCursor } from '../common/pagination';
import type { AppDeps } from '../deps';
import type { Viewer } from '../common/viewer';

export type SearchType = 'styles' | 'artists' | 'all';

export interface StyleHit {
  id: string;
  name: string;
  thumbnailUrl: string | null;
  licenseType: LicenseType;
  generationCostTokens: number;
  artist: { id: string; artistName: string };
  /** What matched: the style's name and/or some of its tags (listed in matchedTags). */
  matchedBy: Array<'name' | 'tag'>;
  matchedTags: string[];
  score: number;
}

export interface PersonHit {
  id: string;
  username: string;
  artistName: string | null;
  profileImage: string | null;
  followerCount: number;
  matchedBy: Array<'artistName' | 'username'>;
  score: number;
}

export interface SearchResult {
  styles: StyleHit[];
  artists: PersonHit[];
  /** Continues both lists (ranked results page by offset; a finished list stays finished). */
  nextCursor: string | null;
  hasMore: boolean;
}

// Where each list continues; null once that list is exhausted.
const searchPosition = z.object({
  s: z.number().int().min(0).max(10_000).nullable(),
  a: z.number().int().min(0).max(10_000).nullable(),
});

/** `%` and `_` are LIKE wildcards; a query is matched literally. */
function escapeLike(q: string): string {
  return q.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/**
 * Ranked search over listed styles (name and tags) and people (artist names and usernames) with
 * pg_trgm: trigram similarity catches typos, the substring match catches short queries; an exact
 * or prefix match ranks first. Every candidate set comes from a trigram GIN index.
 */
export async function search(
  { db, storage }: Pick<AppDeps, 'db' | 'storage'>,
  _viewer: Viewer | null,
  { q, type, limit, cursor }: { q: string; type: SearchType; limit: number; cursor?: string | null },
): Promise<SearchResult> {
  const query = q.normalize('NFKC').toLowerCase().trim().replace(/\s+/g, ' ');
  const from = cursor
    ? decodeCursor(cursor, searchPosition)
    : { s: type === 'artists' ? null : 0, a: type === 'styles' ? null : 0 };
  // Each list reads one row more than the page to know whether it goes on.
  const [styleRows, peopleRows] = await Promise.all([
    from.s === null ? [] : searchStyles(db, storage, query, limit + 1, from.s),
    from.a === null ? [] : searchPeople(db, query, limit + 1, from.a),
  ]);
  const next = {
    s: from.s !== null && styleRows.length > limit ? from.s + limit : null,
    a: from.a !== null && peopleRows.length > limit ? from.a + limit : null,
  };
  const hasMore = next.s !== null || next.a !== null;
  return {
    styles: styleRows.slice(0, limit),
    artists: peopleRows.slice(0, limit),
    nextCursor: hasMore ? encodeCursor(next) : null,
    hasMore,
  };
}

interface StyleRow {
  id: string;
  name: string;
  thumbnail: string | null;
  license_type: LicenseType;
  generation_cost_tokens: number;
  artist_id: string;
  artist_name: string;
  name_score: number;
  tag_score: number | null;
  matched_tags: string[] | null;
}

// Exact > prefix > substring > trigram similarity alone.
const SCORE = (column: string) => `GREATEST(similarity(${column}, $1),
  CASE WHEN ${column} = $1 THEN 1 WHEN ${column} LIKE $3 THEN 0.8 WHEN ${column} LIKE $2 THEN 0.5 ELSE 0 END)`;

/** The statement behind style hits (exported for the bench's ceiling): $1 query, $2 substring, $3 prefix, $4 limit, $5 offset. */
export function styleSearchQuery(q: string, limit: number, offset = 0): { text: string; values: unknown[] } {
  // Scores are computed once per candidate (name hits, then tag hits folded per style), merged, and
  // only the page's styles are joined for display.
  return {
    text: `WITH name_hits AS (
       SELECT id, ${SCORE('lower(name)')} AS score FROM styles
       WHERE (lower(name) % $1 OR lower(name) LIKE $2) AND is_active AND NOT is_flagged AND training_status = 'completed'
     ), tag_hits AS (
       SELECT id, name, ${SCORE('name')} AS score FROM tags WHERE is_active AND (name % $1 OR name LIKE $2)
     ), style_tag_hits AS (
       SELECT st.style_id AS id, max(th.score) AS score, array_agg(th.name ORDER BY th.score DESC, th.name) AS tags
       FROM tag_hits th JOIN style_tags st ON st.tag_id = th.id GROUP BY st.style_id
     ), merged AS (
       SELECT COALESCE(n.id, t.id) AS id, n.score AS name_score, t.score AS tag_score, t.tags,
              GREATEST(COALESCE(n.score, 0), COALESCE(t.score, 0) * 0.9) AS score
       FROM name_hits n FULL JOIN style_tag_hits t ON t.id = n.id
     )
     SELECT s.id::text, s.name, s.thumbnail, s.license_type::text AS license_type, s.generation_cost_tokens,
            a.user_id::text AS artist_id, a.artist_name, COALESCE(m.name_score, 0) AS name_score, m.tag_score, m.tags AS matched_tags
     FROM merged m
     JOIN styles s ON s.id = m.id
     JOIN artists a ON a.user_id = s.artist_id
     WHERE s.is_active AND NOT s.is_flagged AND s.training_status = 'completed'
     ORDER BY m.score DESC, s.usage_count DESC, s.id
     LIMIT $4 OFFSET $5`,
    values: [q, `%${escapeLike(q)}%`, `${escapeLike(q)}%`, limit, offset],
  };
}

async function searchStyles(db: Database, storage: ObjectStorage, q: string, limit: number, offset: number): Promise<StyleHit[]> {
  const query = styleSearchQuery(q, limit, offset);
  const rows = await db.$queryRawUnsafe<StyleRow[]>(query.text, ...query.values);
  return Promise.all(
    rows.map(async (r) => ({
      id: r.id,
      name: r.name,
      thumbnailUrl: await downloadUrl(storage, r.thumbnail),
      licenseType: r.license_type,
      generationCostTokens: r.generation_cost_tokens,
      artist: { id: r.artist_id, artistName: r.artist_name },
      matchedBy: [...(r.name_score > 0 ? (['name'] as const) : []), ...(r.tag_score !== null ? (['tag'] as const) : [])],
      matchedTags: r.matched_tags ?? [],
      score: Math.max(r.name_score, (r.tag_score ?? 0) * 0.9),
    })),
  );
}

interface PersonRow {
  id: string;
  username: string;
  artist_name: string | null;
  profile_image: string | null;
  follower_count: number | null;
  username_score: number;
  artist_score: number | null;
  username_hit: boolean;
  artist_hit: boolean;
}

/** The statement behind people hits (exported for the bench's ceiling): $4 limit, $5 offset. */
export function peopleSearchQuery(q: string, limit: number, offset = 0): { text: string; values: unknown[] } {
  return {
    text: `WITH user_hits AS (
       SELECT id, ${SCORE('lower(username)')} AS score FROM users
       WHERE is_active AND (lower(username) % $1 OR lower(username) LIKE $2)
     ), artist_hits AS (
       SELECT user_id AS id, ${SCORE('lower(artist_name)')} AS score FROM artists
       WHERE lower(artist_name) % $1 OR lower(artist_name) LIKE $2
     ), merged AS (
       SELECT COALESCE(u.id, a.id) AS id, COALESCE(u.score, 0) AS username_score, a.score AS artist_score,
              u.id IS NOT NULL AS username_hit, a.id IS NOT NULL AS artist_hit,
              GREATEST(COALESCE(u.score, 0), COALESCE(a.score, 0)) AS score
       FROM user_hits u FULL JOIN artist_hits a ON a.id = u.id
     )
     SELECT u.id::text, u.username, ar.artist_name, u.profile_image, ar.follower_count,
            m.username_score, m.artist_score, m.username_hit, m.artist_hit
     FROM merged m
     JOIN users u ON u.id = m.id
     LEFT JOIN artists ar ON ar.user_id = u.id
     WHERE u.is_active
     ORDER BY m.score DESC, ar.follower_count DESC NULLS LAST, u.id
     LIMIT $4 OFFSET $5`,
    values: [q, `%${escapeLike(q)}%`, `${escapeLike(q)}%`, limit, offset],
  };
}

async function searchPeople(db: Database, q: string, limit: number, offset: number): Promise<PersonHit[]> {
  const query = peopleSearchQuery(q, limit, offset);
  const rows = await db.$queryRawUnsafe<PersonRow[]>(query.text, ...query.values);
  return rows.map((r) => ({
    id: r.id,
    username: r.username,
    artistName: r.artist_name,
    profileImage: r.profile_image,
    followerCount: r.follower_count ?? 0,
    matchedBy: [...(r.artist_hit ? (['artistName'] as const) : []), ...(r.username_hit ? (['username'] as const) : [])],
    score: Math.max(r.username_score, r.artist_score ?? 0),
  }));
}
