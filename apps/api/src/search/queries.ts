import { Prisma } from '@stylelicense/db';

/** `%` and `_` are LIKE wildcards; a query is matched literally. */
function escapeLike(q: string): string {
  return q.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** The query as each statement uses it: itself, as a substring pattern, as a prefix pattern. */
function terms(q: string) {
  return { q, substring: `%${escapeLike(q)}%`, prefix: `${escapeLike(q)}%` };
}
type Terms = ReturnType<typeof terms>;

/**
 * `select` of the rows of `from` (filtered by `where`) whose `column` is a substring match, or a
 * trigram one (typos) while `typos` holds, with that column as `term`. Two lookups, each its own
 * trigram index scan: written as one OR, small tables (artists, tags) are estimated cheaper to scan
 * whole, and every row then costs a similarity() call. The typo lookup leaves out the substring
 * matches, so each row comes once without a de-duplicating step.
 */
const MATCHING = (
  from: string,
  select: string,
  where: Prisma.Sql,
  column: string,
  t: Terms,
  typos: Prisma.Sql,
) => {
  const head = Prisma.sql`SELECT ${Prisma.raw(select)}, ${Prisma.raw(column)} AS term FROM ${Prisma.raw(from)} WHERE ${where}`;
  const c = Prisma.raw(column);
  return Prisma.sql`(${head} AND ${c} LIKE ${t.substring} UNION ALL ${head} AND ${typos} AND ${c} % ${t.q} AND ${c} NOT LIKE ${t.substring})`;
};

/**
 * The candidate limit: whether trigram-only matches (typos) are worth looking for, i.e. no list of
 * exact and prefix matches (score ≥ 0.8) in `prefixHits` fills the first `wanted` rows alone. For a
 * common word ("water") one does, and the trigram index's lookup, which touches every name sharing a
 * few trigrams and scores each, is skipped. A CTE (`typo_gate`) read through `TYPOS`, so PostgreSQL
 * evaluates it once, before the scans it guards. What that gives up: a typo scoring ≥ 0.8 (nearly the
 * word itself) no longer ranks among that word's matches.
 */
const TYPO_GATE = (prefixHits: Prisma.Sql[], wanted: number) =>
  Prisma.sql`typo_gate AS (SELECT ${Prisma.join(
    prefixHits.map((hits) => Prisma.sql`(SELECT count(*) FROM (${hits} LIMIT ${wanted}) p) < ${wanted}`),
    ' AND ',
  )} AS wanted)`;
const TYPOS = Prisma.sql`(SELECT wanted FROM typo_gate)`;

// Exact > prefix > substring > trigram similarity alone. Only an exact match (lower-cased, as
// usernames are unique) scores 1: trigrams ignore punctuation, so "ink.blot" is as similar to
// "ink_blot" as "ink_blot" itself.
const SCORE = (column: string, t: Terms) => {
  const c = Prisma.raw(column);
  return Prisma.sql`GREATEST(LEAST(similarity(${c}, ${t.q}), 0.99),
  CASE WHEN ${c} = ${t.q} THEN 1 WHEN ${c} LIKE ${t.prefix} THEN 0.8 WHEN ${c} LIKE ${t.substring} THEN 0.5 ELSE 0 END)`;
};

const LISTED = Prisma.sql`s.is_active AND NOT s.is_flagged AND s.training_status = 'completed'`;

/**
 * The statement behind style hits. Ranking reads only what it ranks by: each candidate (a name hit
 * from the trigram index, or a listed style of a matching tag) is scored from its id and name, the
 * candidates are ordered (score, then uses, then id) and cut to the page, and only the page's styles
 * are joined for display (their artists, their matched tags, their best tag score).
 *
 * A tag's styles are looked up only if they can reach the page: a style found by a tag scores at
 * most 0.9 × the tag's score, so a tag whose bound is below the page's last name score (`bar`: the
 * name hit at place offset + limit, 0 when names do not fill the page) is left out, and the page is
 * what it would be with it. For a common word ("water": ~140 names, 6 tags with ~380 styles) the
 * names fill the page and no tag's styles are read; for an exact tag (0.9 outranks any prefix) they
 * are.
 */
export function styleSearchQuery(q: string, limit: number, offset = 0): Prisma.Sql {
  const t = terms(q);
  const wanted = offset + limit;
  const gate = TYPO_GATE(
    [Prisma.sql`SELECT 1 FROM styles s WHERE ${LISTED} AND lower(s.name) LIKE ${t.prefix}`],
    wanted,
  );
  return Prisma.sql`WITH ${gate}, tag_hits AS (
       SELECT id, term AS name, ${SCORE('term', t)} AS score
       FROM ${MATCHING('tags', 'id', Prisma.sql`is_active`, 'name', t, TYPOS)} m
     ), name_hits AS (
       SELECT id, ${SCORE('term', t)} AS name_score, usage_count
       FROM ${MATCHING('styles s', 's.id, s.usage_count', LISTED, 'lower(s.name)', t, TYPOS)} m
     ), bar AS (
       SELECT COALESCE((SELECT name_score FROM name_hits ORDER BY name_score DESC OFFSET ${wanted - 1} LIMIT 1), 0) AS score
     ), hits AS (
       SELECT id, name_score, NULL::real AS tag_score, usage_count FROM name_hits
       UNION ALL
       SELECT s.id, NULL, th.score, s.usage_count
       FROM tag_hits th
       -- OFFSET 0 keeps this a per-tag index lookup (the planner would hash the whole link table).
       CROSS JOIN LATERAL (SELECT st.style_id FROM style_tags st WHERE st.tag_id = th.id OFFSET 0) st
       JOIN styles s ON s.id = st.style_id
       WHERE th.score * 0.9 >= (SELECT score FROM bar) AND ${LISTED}
     ), ranked AS (
       SELECT id, max(name_score) AS name_score, max(usage_count) AS usage_count,
              GREATEST(COALESCE(max(name_score), 0), COALESCE(max(tag_score), 0) * 0.9) AS score
       FROM hits GROUP BY id
       ORDER BY score DESC, usage_count DESC, id
       LIMIT ${limit} OFFSET ${offset}
     )
     SELECT s.id::text, s.name, s.thumbnail, s.license_type::text AS license_type, s.generation_cost_tokens,
            a.user_id::text AS artist_id, a.artist_name, COALESCE(r.name_score, 0) AS name_score,
            tags.score AS tag_score, tags.names AS matched_tags
     FROM ranked r
     JOIN styles s ON s.id = r.id
     JOIN artists a ON a.user_id = s.artist_id
     CROSS JOIN LATERAL (
       SELECT max(th.score) AS score, array_agg(th.name ORDER BY th.score DESC, th.name) AS names
       FROM tag_hits th JOIN style_tags st ON st.tag_id = th.id WHERE st.style_id = r.id
     ) tags
     ORDER BY r.score DESC, r.usage_count DESC, r.id`;
}

/**
 * The statement behind people hits (artist names and usernames). As for styles, candidates are
 * scored and ordered from the trigram indexes' rows alone; only the page's people are joined for
 * display.
 */
export function peopleSearchQuery(q: string, limit: number, offset = 0): Prisma.Sql {
  const t = terms(q);
  // Each list alone is a lower bound of the distinct people matching by prefix.
  const gate = TYPO_GATE(
    [
      Prisma.sql`SELECT 1 FROM users WHERE is_active AND lower(username) LIKE ${t.prefix}`,
      Prisma.sql`SELECT 1 FROM artists a JOIN users u ON u.id = a.user_id
        WHERE u.is_active AND lower(a.artist_name) LIKE ${t.prefix}`,
    ],
    offset + limit,
  );
  return Prisma.sql`WITH ${gate}, hits AS (
       SELECT id, ${SCORE('term', t)} AS username_score, NULL::real AS artist_score
       FROM ${MATCHING('users', 'id', Prisma.sql`is_active`, 'lower(username)', t, TYPOS)} m
       UNION ALL
       SELECT m.id, NULL, ${SCORE('m.term', t)}
       FROM ${MATCHING('artists', 'user_id AS id', Prisma.sql`true`, 'lower(artist_name)', t, TYPOS)} m
       JOIN users u ON u.id = m.id
       WHERE u.is_active
     ), ranked AS (
       SELECT h.id, max(h.username_score) AS username_score, max(h.artist_score) AS artist_score,
              GREATEST(COALESCE(max(h.username_score), 0), COALESCE(max(h.artist_score), 0)) AS score,
              max(ar.follower_count) AS follower_count
       FROM hits h LEFT JOIN artists ar ON ar.user_id = h.id
       GROUP BY h.id
       ORDER BY score DESC, follower_count DESC NULLS LAST, h.id
       LIMIT ${limit} OFFSET ${offset}
     )
     SELECT u.id::text, u.username, ar.artist_name, u.profile_image, ar.follower_count,
            COALESCE(r.username_score, 0) AS username_score, r.artist_score,
            r.username_score IS NOT NULL AS username_hit, r.artist_score IS NOT NULL AS artist_hit
     FROM ranked r
     JOIN users u ON u.id = r.id
     LEFT JOIN artists ar ON ar.user_id = u.id
     ORDER BY r.score DESC, r.follower_count DESC NULLS LAST, r.id`;
}
