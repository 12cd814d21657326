import { Prisma } from '@stylelicense/db';

/**
 * What viewers have done to the things on their pages, in one statement for any number of them:
 * for each (viewer, generation) pair whether that viewer likes it, for each (viewer, person) pair
 * whether they follow them. Every pair is a primary-key lookup (likes_pkey (user_id,
 * generation_id), follows_pkey (follower_id, following_id)). The pairs come as two parallel lists
 * of ids, each one comma-separated text (a hundred ids are one parameter, not a hundred array
 * elements to quote); a text that is not ids fails the uuid cast.
 */
export function viewerStateQuery(likePairs: IdPairs, followPairs: IdPairs): Prisma.Sql {
  return Prisma.sql`
    SELECT 'like' AS kind, l.user_id::text AS viewer, l.generation_id::text AS id
    FROM unnest(string_to_array(${likePairs.viewers}, ',')::uuid[], string_to_array(${likePairs.ids}, ',')::uuid[])
      AS p(viewer, id)
    JOIN likes l ON l.user_id = p.viewer AND l.generation_id = p.id
    UNION ALL
    SELECT 'follow' AS kind, f.follower_id::text AS viewer, f.following_id::text AS id
    FROM unnest(string_to_array(${followPairs.viewers}, ',')::uuid[], string_to_array(${followPairs.ids}, ',')::uuid[])
      AS p(viewer, id)
    JOIN follows f ON f.follower_id = p.viewer AND f.following_id = p.id`;
}

/** (viewer, id) pairs as two comma-separated lists of ids, the i-th of each making pair i. */
export interface IdPairs {
  viewers: string;
  ids: string;
}
