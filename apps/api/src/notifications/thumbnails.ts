import type { AppDeps } from '../deps';
import { downloadUrl } from '../common/media';
import type { Viewer } from '../common/viewer';

interface Target {
  targetType: string;
  targetId: string;
}

/**
 * The picture beside each notification: the image liked, commented on, finished or moderated (a
 * comment shows its generation's), the style trained or flagged. Only a picture the recipient may
 * see: their own, or one that is listed for everyone. Follows show the actor's avatar (the client
 * has it already), so they get null here. One statement for the whole page.
 */
export async function thumbnailsFor(
  { db, storage }: Pick<AppDeps, 'db' | 'storage'>,
  viewer: Viewer,
  targets: readonly Target[],
): Promise<Map<string, string | null>> {
  const ids = (type: string) => targets.filter((t) => t.targetType === type).map((t) => t.targetId);
  const [generations, comments, styles] = [ids('generation'), ids('comment'), ids('style')];
  const found = new Map<string, string | null>();
  if (generations.length + comments.length + styles.length === 0) return found;
  const rows = await db.$queryRaw<Array<{ target_id: string; image: string | null }>>`
    SELECT g.id::text AS target_id, g.result_image AS image
      FROM generations g
     WHERE g.id = ANY(${generations}::uuid[])
       AND (g.user_id = ${viewer.userId}::uuid OR (g.is_public AND NOT g.is_hidden AND g.status = 'completed'))
    UNION ALL
    SELECT c.id::text, g.result_image
      FROM comments c JOIN generations g ON g.id = c.generation_id
     WHERE c.id = ANY(${comments}::uuid[])
       AND (g.user_id = ${viewer.userId}::uuid OR (g.is_public AND NOT g.is_hidden AND g.status = 'completed'))
    UNION ALL
    SELECT s.id::text, s.thumbnail
      FROM styles s
     WHERE s.id = ANY(${styles}::uuid[])
       AND (s.artist_id = ${viewer.userId}::uuid
            OR (s.training_status = 'completed' AND s.is_active AND NOT s.is_flagged))`;
  await Promise.all(rows.map(async (row) => found.set(row.target_id, await downloadUrl(storage, row.image))));
  return found;
}
