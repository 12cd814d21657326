// The ranked search statements as they were before candidates were cut ahead of the joins and the
// typo lookup was limited (see src/search/queries.ts): the catalog bench runs them beside today's
// through pg in the same run, as the baseline of the search ratio. Not used by the API.
/** `%` and `_` are LIKE wildcards; a query is matched literally. */
function escapeLike(q: string): string {
  return q.replace(/[\\%_]/g, (c) => `\\${c}`);
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
