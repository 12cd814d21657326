import { Prisma } from '@stylelicense/db';

/**
 * What viewers have done to the things on their pages, in one statement for any number of them:
 * for each (viewer, generation) pair whether that viewer likes it, for each (viewer, person) pair
 * whether they follow them. Every pair is a primary-key lookup (likes_pkey (user_id,
 * generation_id), follows_pkey (follower_id, following_id)).
 */
export function viewerStateQuery(
  likePairs: { viewers: string[]; ids: string[] },
  followPairs: { viewers: string[]; ids: string[] },
): Prisma.Sql {
  return Prisma.sql`
    SELECT 'like' AS kind, l.user_id::text AS viewer, l.generation_id::text AS id
    FROM unnest(${likePairs.viewers}::uuid[], ${likePairs.ids}::uuid[]) AS p(viewer, id)
    JOIN likes l ON l.user_id = p.viewer AND l.generation_id = p.id
    UNION ALL
    SELECT 'follow' AS kind, f.follower_id::text AS viewer, f.following_id::text AS id
    FROM unnest(${followPairs.viewers}::uuid[], ${followPairs.ids}::uuid[]) AS p(viewer, id)
    JOIN follows f ON f.follower_id = p.viewer AND f.following_id = p.id`;
}
