import { dimensionsFor, DomainError, type AspectRatio } from '@stylelicense/contracts';
import type { AppDeps } from '../deps';
import { downloadUrl } from '../common/media';

// What a buyer looks at before paying: images others made with the style, and the prompt tags
// that worked for them. Only published images count (a private prompt is never suggested).

const LISTED_STYLE = `s.training_status = 'completed' AND s.is_active AND NOT s.is_flagged`;
const PUBLISHED = `g.is_public AND NOT g.is_hidden AND g.status = 'completed' AND g.result_image IS NOT NULL`;

export interface StyleExample {
  id: string;
  imageUrl: string;
  promptTags: string[];
  width: number;
  height: number;
  author: { id: string; username: string };
}

async function assertListed({ db }: Pick<AppDeps, 'db'>, styleId: string): Promise<void> {
  const rows = await db.$queryRawUnsafe<Array<{ id: string }>>(
    `SELECT s.id::text FROM styles s WHERE s.id = $1::uuid AND ${LISTED_STYLE}`,
    styleId,
  );
  if (rows.length === 0) throw new DomainError('STYLE_NOT_FOUND', 'No such style.', { styleId });
}

/** The style's published images, most liked first, then newest. */
export async function styleExamples(
  deps: Pick<AppDeps, 'db' | 'storage'>,
  { styleId, limit }: { styleId: string; limit: number },
): Promise<StyleExample[]> {
  await assertListed(deps, styleId);
  const rows = await deps.db.$queryRawUnsafe<
    Array<{
      id: string;
      result_image: string;
      aspect_ratio: AspectRatio;
      author_id: string;
      username: string;
      tags: string[];
    }>
  >(
    `SELECT g.id::text, g.result_image, g.aspect_ratio::text AS aspect_ratio, u.id::text AS author_id, u.username,
            COALESCE(ARRAY(SELECT t.name FROM generation_tags gt JOIN tags t ON t.id = gt.tag_id
                            WHERE gt.generation_id = g.id ORDER BY gt.sequence), '{}') AS tags
       FROM generations g JOIN users u ON u.id = g.user_id
      WHERE g.style_id = $1::uuid AND ${PUBLISHED}
      ORDER BY g.like_count DESC, g.created_at DESC, g.id DESC
      LIMIT $2`,
    styleId,
    limit,
  );
  return Promise.all(
    rows.map(async (row) => ({
      id: row.id,
      imageUrl: (await downloadUrl(deps.storage, row.result_image))!,
      promptTags: row.tags,
      ...dimensionsFor(row.aspect_ratio),
      author: { id: row.author_id, username: row.username },
    })),
  );
}

/** Prompt tags to try: those most used in the style's published images, then the style's own tags. */
export async function recommendedTags(
  deps: Pick<AppDeps, 'db'>,
  { styleId, limit }: { styleId: string; limit: number },
): Promise<Array<{ tag: string; uses: number }>> {
  await assertListed(deps, styleId);
  return deps.db.$queryRawUnsafe<Array<{ tag: string; uses: number }>>(
    `WITH used AS (
       SELECT t.name AS tag, count(*)::int AS uses
         FROM generations g JOIN generation_tags gt ON gt.generation_id = g.id JOIN tags t ON t.id = gt.tag_id
        WHERE g.style_id = $1::uuid AND ${PUBLISHED}
        GROUP BY t.name
     ), own AS (
       SELECT t.name AS tag, 0 AS uses, st.sequence
         FROM style_tags st JOIN tags t ON t.id = st.tag_id
        WHERE st.style_id = $1::uuid AND t.name NOT IN (SELECT tag FROM used)
     )
     SELECT tag, uses FROM (
       SELECT tag, uses, 0 AS rank, 0 AS sequence FROM used
       UNION ALL SELECT tag, uses, 1, sequence FROM own
     ) ranked
     ORDER BY rank, uses DESC, sequence, tag
     LIMIT $2`,
    styleId,
    limit,
  );
}
