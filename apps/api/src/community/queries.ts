import { Prisma } from '@stylelicense/db';

/**
 * What viewers have done to the things on their pages, in one statement for any number of them:
 * for each viewer and each of their generations whether they like it, for each viewer and each of
 * their people whether they follow them. Every pair is a primary-key lookup (likes_pkey (user_id,
 * generation_id), follows_pkey (follower_id, following_id)). Viewers and their ids come as text (a
 * hundred ids are one parameter, each viewer named once, nothing to quote); text that is not ids
 * fails the uuid cast.
 */
export function viewerStateQuery(likes: ViewersIds, follows: ViewersIds): Prisma.Sql {
  const asked = (lists: ViewersIds) => Prisma.sql`
    unnest(string_to_array(${lists.viewers}, ','), string_to_array(${lists.ids}, ';')) AS w(viewer, ids)
    CROSS JOIN LATERAL unnest(string_to_array(w.ids, ',')::uuid[]) AS p(id)`;
  return Prisma.sql`
    SELECT 'like' AS kind, l.user_id::text AS viewer, l.generation_id::text AS id
    FROM ${asked(likes)}
    JOIN likes l ON l.user_id = w.viewer::uuid AND l.generation_id = p.id
    UNION ALL
    SELECT 'follow' AS kind, f.follower_id::text AS viewer, f.following_id::text AS id
    FROM ${asked(follows)}
    JOIN follows f ON f.follower_id = w.viewer::uuid AND f.following_id = p.id`;
}

/**
 * Viewers and what each asks about: `viewers` their ids, comma-separated; `ids` one group per
 * viewer, in the same order, groups separated by `;` and ids within a group by `,`.
 */
export interface ViewersIds {
  viewers: string;
  ids: string;
}
