import { Prisma } from '@stylelicense/db';

/**
 * What one viewer has done to the things on one page, in one statement: their likes among
 * `generationIds` and their follows among `userIds`. Both halves are primary-key range lookups
 * (likes_pkey (user_id, generation_id), follows_pkey (follower_id, following_id)).
 */
export function viewerStateQuery(viewerId: string, generationIds: string[], userIds: string[]): Prisma.Sql {
  return Prisma.sql`
    SELECT 'like' AS kind, l.generation_id::text AS id FROM likes l
    WHERE l.user_id = ${viewerId}::uuid AND l.generation_id = ANY(${generationIds}::uuid[])
    UNION ALL
    SELECT 'follow' AS kind, f.following_id::text AS id FROM follows f
    WHERE f.follower_id = ${viewerId}::uuid AND f.following_id = ANY(${userIds}::uuid[])`;
}
