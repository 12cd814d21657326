import type { LicenseType } from '@stylelicense/contracts';
import { queryRows, type Database } from '@stylelicense/db';
import type { ObjectStorage } from '@stylelicense/storage';
import { z } from 'zod';
import { downloadUrl } from '../common/media';
import { decodeCursor, encodeCursor } from '../common/pagination';
import type { AppDeps } from '../deps';
import type { Viewer } from '../common/viewer';
import { readViewerState } from '../community/viewer-state';
import { peopleSearchQuery, styleSearchQuery } from './queries';

export type SearchType = 'styles' | 'artists' | 'all';

export interface StyleHit {
  id: string;
  name: string;
  thumbnailUrl: string | null;
  licenseType: LicenseType;
  generationCostTokens: number;
  /** `isFollowed`: the signed-in viewer follows this artist (false for anyone else). */
  artist: { id: string; artistName: string; isFollowed: boolean };
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
  /** The signed-in viewer follows this person (false for anyone else). */
  isFollowed: boolean;
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

/**
 * Ranked search over listed styles (name and tags) and people (artist names and usernames) with
 * pg_trgm: trigram similarity catches typos, the substring match catches short queries; an exact
 * or prefix match ranks first. Every candidate set comes from a trigram GIN index. The result is the
 * same for everyone; `searchOverlay` adds whom a signed-in viewer follows.
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

/**
 * Search's statements cost as much to plan as to run, and their best plan is the same for any query
 * of three characters or more (each lookup a trigram index scan): one plan, made once per
 * connection, serves them. A shorter query has no trigram to look up by, and a plan made for its
 * own value (scanning the table instead) is the better one.
 */
function planFor(q: string): 'generic' | 'per-call' {
  return q.length >= 3 ? 'generic' : 'per-call';
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

async function searchStyles(
  db: Database,
  storage: ObjectStorage,
  q: string,
  limit: number,
  offset: number,
): Promise<StyleHit[]> {
  const rows = await queryRows<StyleRow>(db, 'search.styles', styleSearchQuery(q, limit, offset), {
    plan: planFor(q),
  });
  return Promise.all(
    rows.map(async (r) => ({
      id: r.id,
      name: r.name,
      thumbnailUrl: await downloadUrl(storage, r.thumbnail),
      licenseType: r.license_type,
      generationCostTokens: r.generation_cost_tokens,
      artist: { id: r.artist_id, artistName: r.artist_name, isFollowed: false },
      matchedBy: [
        ...(r.name_score > 0 ? (['name'] as const) : []),
        ...(r.tag_score !== null ? (['tag'] as const) : []),
      ],
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

async function searchPeople(db: Database, q: string, limit: number, offset: number): Promise<PersonHit[]> {
  const rows = await queryRows<PersonRow>(db, 'search.people', peopleSearchQuery(q, limit, offset), {
    plan: planFor(q),
  });
  return rows.map((r) => ({
    id: r.id,
    username: r.username,
    artistName: r.artist_name,
    profileImage: r.profile_image,
    followerCount: r.follower_count ?? 0,
    isFollowed: false,
    matchedBy: [
      ...(r.artist_hit ? (['artistName'] as const) : []),
      ...(r.username_hit ? (['username'] as const) : []),
    ],
    score: Math.max(r.username_score, r.artist_score ?? 0),
  }));
}

/** Whom the viewer follows among the hits' artists and people: `isFollowed` on the viewer's copy. */
export async function searchOverlay(
  deps: Pick<AppDeps, 'db'>,
  viewer: Viewer,
  result: SearchResult,
): Promise<(result: SearchResult) => SearchResult> {
  const { followed } = await readViewerState(deps, viewer, {
    userIds: [...result.styles.map((s) => s.artist.id), ...result.artists.map((p) => p.id)],
  });
  // Works alike on the result and its JSON form: ids read, booleans set, changed parts copied.
  return (shared) => ({
    ...shared,
    styles: shared.styles.map((s) => ({
      ...s,
      artist: { ...s.artist, isFollowed: followed.has(s.artist.id) },
    })),
    artists: shared.artists.map((p) => ({ ...p, isFollowed: followed.has(p.id) })),
  });
}
