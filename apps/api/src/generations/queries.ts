import { Prisma } from '@stylelicense/db';

export type FeedSort = 'recent' | 'popular';

/**
 * The rows the public feed may show; matches the partial indexes generations_feed_*_idx. A
 * generation a moderator hid is never public (a CHECK on moderation_hidden_at), so this holds it out.
 */
export const LISTED_GENERATIONS = Prisma.sql`g.is_public AND NOT g.is_hidden AND g.status = 'completed'`;

/** ORDER BY + LIMIT of the feed; matches the partial indexes (exported for the bench's ceiling). */
export function feedOrder(sort: FeedSort, take: number): Prisma.Sql {
  return sort === 'popular'
    ? Prisma.sql`ORDER BY g.like_count DESC, g.created_at DESC, g.id DESC LIMIT ${take}`
    : Prisma.sql`ORDER BY g.created_at DESC, g.id DESC LIMIT ${take}`;
}

// One lean projection for every generation list and the detail view (aspect_ratio is stored by its label, e.g. '1:1').
export function selectGenerations(
  viewerId: string | null,
  where: Prisma.Sql,
  orderAndLimit: Prisma.Sql,
): Prisma.Sql {
  return Prisma.sql`
    SELECT g.id::text, g.user_id::text, u.username, u.profile_image, g.style_id::text, s.name AS style_name,
           a.user_id::text AS artist_id, a.artist_name, g.status::text AS status, g.aspect_ratio::text AS aspect_ratio,
           g.description, g.result_image, g.like_count, g.comment_count, g.created_at, g.completed_at,
           g.is_public, g.is_hidden, g.moderation_hidden_at IS NOT NULL AS moderation_hidden, g.seed, g.consumed_tokens, g.generation_progress, g.failure, g.attempt,
           ARRAY(SELECT t.name FROM generation_tags gt JOIN tags t ON t.id = gt.tag_id WHERE gt.generation_id = g.id ORDER BY gt.sequence) AS tags,
           ${viewerId ? Prisma.sql`EXISTS (SELECT 1 FROM likes l WHERE l.generation_id = g.id AND l.user_id = ${viewerId}::uuid)` : Prisma.sql`false`} AS is_liked
    FROM generations g
    JOIN users u ON u.id = g.user_id
    JOIN styles s ON s.id = g.style_id
    JOIN artists a ON a.user_id = s.artist_id
    WHERE ${where}
    ${orderAndLimit}`;
}

/** Which of these generations were refunded (their refund entries, by idempotency key). */
export function refundedQuery(refundKeys: string[]): Prisma.Sql {
  return Prisma.sql`SELECT generation_id::text AS generation_id FROM transactions WHERE idempotency_key = ANY(${refundKeys}::text[])`;
}
