import type { LicenseType } from '@stylelicense/contracts';
import type { Database } from '@stylelicense/db';
import type { ObjectStorage } from '@stylelicense/storage';
import { downloadUrl } from './media';

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
}

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
  { db, storage }: { db: Database; storage: ObjectStorage },
  { q, type, limit }: { q: string; type: SearchType; limit: number },
): Promise<SearchResult> {
  const query = q.normalize('NFKC').toLowerCase().trim().replace(/\s+/g, ' ');
  const [styles, artists] = await Promise.all([
    type === 'artists' ? [] : searchStyles(db, storage, query, limit),
    type === 'styles' ? [] : searchPeople(db, query, limit),
  ]);
  return { styles, artists };
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

/** The statement behind style hits (exported for the bench's ceiling): $1 query, $2 substring, $3 prefix, $4 limit. */
export function styleSearchQuery(q: string, limit: number): { text: string; values: unknown[] } {
  return {
    text: `WITH name_hits AS (
       SELECT id FROM styles WHERE lower(name) % $1 OR lower(name) LIKE $2
     ), tag_hits AS (
       SELECT st.style_id, t.name, ${SCORE('t.name')} AS score
       FROM tags t JOIN style_tags st ON st.tag_id = t.id
       WHERE t.is_active AND (t.name % $1 OR t.name LIKE $2)
     ), candidates AS (
       SELECT id FROM name_hits UNION SELECT style_id FROM tag_hits
     )
     SELECT * FROM (
       SELECT s.id::text, s.name, s.thumbnail, s.license_type::text AS license_type, s.generation_cost_tokens, s.usage_count,
              a.user_id::text AS artist_id, a.artist_name,
              CASE WHEN s.id IN (SELECT id FROM name_hits) THEN ${SCORE('lower(s.name)')} ELSE 0 END AS name_score,
              th.score AS tag_score, th.tags AS matched_tags
       FROM candidates c
       JOIN styles s ON s.id = c.id
       JOIN artists a ON a.user_id = s.artist_id
       LEFT JOIN LATERAL (
         SELECT max(score) AS score, array_agg(name ORDER BY score DESC) AS tags FROM tag_hits WHERE tag_hits.style_id = s.id
       ) th ON true
       WHERE s.is_active AND NOT s.is_flagged AND s.training_status = 'completed'
     ) ranked
     ORDER BY GREATEST(name_score, COALESCE(tag_score, 0) * 0.9) DESC, usage_count DESC, id
     LIMIT $4`,
    values: [q, `%${escapeLike(q)}%`, `${escapeLike(q)}%`, limit],
  };
}

async function searchStyles(db: Database, storage: ObjectStorage, q: string, limit: number): Promise<StyleHit[]> {
  const query = styleSearchQuery(q, limit);
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

/** The statement behind people hits (exported for the bench's ceiling). */
export function peopleSearchQuery(q: string, limit: number): { text: string; values: unknown[] } {
  return {
    text: `WITH hits AS (
       SELECT id AS user_id FROM users WHERE lower(username) % $1 OR lower(username) LIKE $2
       UNION
       SELECT user_id FROM artists WHERE lower(artist_name) % $1 OR lower(artist_name) LIKE $2
     )
     SELECT * FROM (
       SELECT u.id::text, u.username, a.artist_name, u.profile_image, a.follower_count,
              ${SCORE('lower(u.username)')} AS username_score,
              ${SCORE('lower(a.artist_name)')} AS artist_score,
              (lower(u.username) % $1 OR lower(u.username) LIKE $2) AS username_hit,
              COALESCE(lower(a.artist_name) % $1 OR lower(a.artist_name) LIKE $2, false) AS artist_hit
       FROM hits JOIN users u ON u.id = hits.user_id LEFT JOIN artists a ON a.user_id = u.id
       WHERE u.is_active
     ) ranked
     ORDER BY GREATEST(username_score, COALESCE(artist_score, 0)) DESC, follower_count DESC NULLS LAST, id
     LIMIT $4`,
    values: [q, `%${escapeLike(q)}%`, `${escapeLike(q)}%`, limit],
  };
}

async function searchPeople(db: Database, q: string, limit: number): Promise<PersonHit[]> {
  const query = peopleSearchQuery(q, limit);
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
