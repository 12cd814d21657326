import { DomainError } from '@stylelicense/contracts';
import { Prisma, type Database, type TransactionClient } from '@stylelicense/db';
import { z } from 'zod';

export const MAX_TAG_LENGTH = 50;
const TAG_PATTERN = /^[a-z0-9][a-z0-9 _-]*$/;

/**
 * A tag as stored: NFKC, lower-case, trimmed, inner whitespace collapsed. Tags are English only
 * (the trainer's and the text encoder's vocabulary): letters a–z, digits, space, '-' and '_'.
 * Throws INVALID_TAG_LANGUAGE for anything else.
 */
export function normalizeTag(raw: string): string {
  const tag = tagOrNull(raw);
  if (tag === null) {
    throw new DomainError(
      'INVALID_TAG_LANGUAGE',
      `"${raw.slice(0, 60)}" is not a valid tag: use English words (a–z, 0–9, space, "-", "_"), up to ${MAX_TAG_LENGTH} characters.`,
      { tag: raw.slice(0, 60) },
    );
  }
  return tag;
}

/**
 * The tags a style name adds to its style and artworks: the name itself when it reads as a tag.
 * Names are free text (any language, punctuation); one that is not a tag adds none.
 */
export function nameTagsOf(name: string): string[] {
  const tag = tagOrNull(name);
  return tag === null ? [] : [tag];
}

function tagOrNull(raw: string): string | null {
  const tag = raw.normalize('NFKC').toLowerCase().trim().replace(/\s+/g, ' ');
  return tag.length > 0 && tag.length <= MAX_TAG_LENGTH && TAG_PATTERN.test(tag) ? tag : null;
}

/** Normalised, first occurrence kept, order preserved (the order is the link's `sequence`). */
export function normalizeTags(raw: readonly string[]): string[] {
  return [...new Set(raw.map(normalizeTag))];
}

/**
 * The ids of the tags a list filter names, for "carries every one of them" filters; `null` when one
 * of them does not exist (then nothing can match).
 */
export async function tagIdsForFilter(db: Database, raw: readonly string[]): Promise<string[] | null> {
  const names = normalizeTags(raw);
  if (names.length === 0) return [];
  const found = await db.tag.findMany({ where: { name: { in: names } }, select: { id: true } });
  return found.length < names.length ? null : found.map((t) => t.id);
}

/** Input shape for tag lists; normalisation (and INVALID_TAG_LANGUAGE) happens in the services. */
export const tagListInput = (max: number) => z.array(z.string().min(1).max(100)).max(max);

/**
 * Ensures the tags exist and returns their ids in the given order. `countUsage` adds one use per
 * tag (a style or generation now carries it); artwork links are not counted. One statement, names
 * sorted so concurrent writers lock tag rows in the same order (no deadlocks).
 */
export async function upsertTags(
  tx: TransactionClient,
  names: readonly string[],
  { countUsage }: { countUsage: boolean },
): Promise<Map<string, string>> {
  if (names.length === 0) return new Map();
  const sorted = [...new Set(names)].sort();
  const increment = countUsage ? 1 : 0;
  const rows = await tx.$queryRaw<Array<{ id: string; name: string }>>`
    INSERT INTO tags (id, name, usage_count)
    SELECT gen_random_uuid(), name, ${increment} FROM unnest(${sorted}::text[]) AS name
    ON CONFLICT (name) DO UPDATE SET usage_count = tags.usage_count + ${increment}
    RETURNING id::text, name`;
  return new Map(rows.map((row) => [row.name, row.id]));
}

/** Links a style to its tags in order, counting one use per tag. */
export async function linkStyleTags(
  tx: TransactionClient,
  styleId: string,
  names: readonly string[],
): Promise<void> {
  const ids = await upsertTags(tx, names, { countUsage: true });
  if (names.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO style_tags (style_id, tag_id, sequence)
    SELECT ${styleId}::uuid, tag_id, sequence FROM unnest(${names.map((n) => ids.get(n)!)}::uuid[]) WITH ORDINALITY AS t(tag_id, sequence)`;
}

/** Links a generation's prompt tags in order, counting one use per tag. */
export async function linkGenerationTags(
  tx: TransactionClient,
  generationId: string,
  names: readonly string[],
): Promise<void> {
  const ids = await upsertTags(tx, names, { countUsage: true });
  if (names.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO generation_tags (generation_id, tag_id, sequence)
    SELECT ${generationId}::uuid, tag_id, sequence FROM unnest(${names.map((n) => ids.get(n)!)}::uuid[]) WITH ORDINALITY AS t(tag_id, sequence)`;
}

/** Links every artwork to its own tags (in order), all in one statement. Artwork links do not count as usage. */
export async function linkArtworkTags(
  tx: TransactionClient,
  artworks: ReadonlyArray<{ artworkId: string; tags: readonly string[] }>,
): Promise<void> {
  const ids = await upsertTags(
    tx,
    artworks.flatMap((a) => a.tags),
    { countUsage: false },
  );
  const links = artworks.flatMap((a) =>
    a.tags.map((name, i) => ({ artworkId: a.artworkId, tagId: ids.get(name)!, sequence: i + 1 })),
  );
  if (links.length === 0) return;
  await tx.$executeRaw`
    INSERT INTO artwork_tags (artwork_id, tag_id, sequence)
    SELECT * FROM unnest(${links.map((l) => l.artworkId)}::uuid[], ${links.map((l) => l.tagId)}::uuid[], ${links.map((l) => l.sequence)}::int[])`;
}

/** Tag names per owner id, in link order: one query for a whole page of styles or generations. */
export async function tagsOf(
  db: Pick<TransactionClient, '$queryRaw'>,
  kind: 'style' | 'generation',
  ids: readonly string[],
): Promise<Map<string, string[]>> {
  const result = new Map<string, string[]>(ids.map((id) => [id, []]));
  if (ids.length === 0) return result;
  const rows = await db.$queryRaw<Array<{ owner: string; name: string }>>(tagNamesQuery(kind, ids));
  for (const row of rows) result.get(row.owner)?.push(row.name);
  return result;
}

/** Tag names of a page of styles or generations, in link order. */
function tagNamesQuery(kind: 'style' | 'generation', ids: readonly string[]): Prisma.Sql {
  return kind === 'style'
    ? Prisma.sql`SELECT st.style_id::text AS owner, t.name FROM style_tags st JOIN tags t ON t.id = st.tag_id
        WHERE st.style_id = ANY(${ids}::uuid[]) ORDER BY st.style_id, st.sequence`
    : Prisma.sql`SELECT gt.generation_id::text AS owner, t.name FROM generation_tags gt JOIN tags t ON t.id = gt.tag_id
        WHERE gt.generation_id = ANY(${ids}::uuid[]) ORDER BY gt.generation_id, gt.sequence`;
}
