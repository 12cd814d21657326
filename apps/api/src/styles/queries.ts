import { Prisma } from '@stylelicense/db';

export type StyleSort = 'recent' | 'popular';

/** What the public catalogue shows; matches the partial index styles_listed_recent_idx. */
export const LISTED_STYLES = Prisma.sql`s.is_active AND NOT s.is_flagged AND s.training_status = 'completed'`;

/** The catalogue's one statement (tags included: one round trip per page) (exported for the bench's ceiling, which sends it through `pg`). */
export function styleCardsQuery(conditions: Prisma.Sql[], sort: StyleSort, take: number): Prisma.Sql {
  const order =
    sort === 'popular'
      ? Prisma.sql`a.follower_count DESC, s.created_at DESC, s.id DESC`
      : Prisma.sql`s.created_at DESC, s.id DESC`;
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

/** An artist's own styles in every state, newest first, each with the tokens it earned them. */
export function myStylesQuery(artistId: string, after: Prisma.Sql | null, take: number): Prisma.Sql {
  return Prisma.sql`
    SELECT s.id::text, s.name, s.training_status::text AS training_status, s.training_progress, s.is_active, s.is_flagged,
           s.generation_cost_tokens, s.usage_count, s.thumbnail, s.created_at,
           COALESCE((SELECT sum(t.amount) FROM transactions t
                     WHERE t.style_id = s.id AND t.type = 'earning' AND t.receiver_id = ${artistId}::uuid AND t.status = 'completed'), 0)::int8 AS earned_tokens
    FROM styles s
    WHERE s.artist_id = ${artistId}::uuid ${after ? Prisma.sql`AND ${after}` : Prisma.empty}
    ORDER BY s.created_at DESC, s.id DESC
    LIMIT ${take}`;
}
