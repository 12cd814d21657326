import { DomainError } from '@stylelicense/contracts';
import { z } from 'zod';

/**
 * Cursor pagination as SPEC.md asks everywhere a list can grow: `limit` 1–100 (default 20), an
 * opaque `cursor`, and `nextCursor` / `hasMore` back — no total counts.
 *
 * A list service reads `limit + 1` rows after the cursor's position and hands them to `pageOf`,
 * which trims the extra row and derives `hasMore` from it (one query, no COUNT).
 */
export const paginationInput = z.object({
  limit: z.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(512).nullish(),
});

export type PaginationInput = z.infer<typeof paginationInput>;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
  hasMore: boolean;
}

/** Opaque to clients: base64url of the JSON position. */
export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position), 'utf8').toString('base64url');
}

/** The position a cursor encodes, validated by `schema`; a tampered cursor is a VALIDATION_ERROR. */
export function decodeCursor<S extends z.ZodType>(cursor: string, schema: S): z.infer<S> {
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw invalidCursor();
  return parsed.data;
}

function invalidCursor(): DomainError {
  return new DomainError('VALIDATION_ERROR', 'The cursor is not valid.', { field: 'cursor' });
}

/**
 * Trims the `limit + 1` rows a query fetched to one page. `cursorOf` turns the page's last row into
 * the position the next page starts after (usually via `encodeCursor` or `timeCursor.of`).
 */
export function pageOf<T>(rows: T[], limit: number, cursorOf: (last: T) => string): Page<T> {
  const hasMore = rows.length > limit;
  const items = hasMore ? rows.slice(0, limit) : rows;
  const last = items.at(-1);
  return { items, hasMore, nextCursor: hasMore && last ? cursorOf(last) : null };
}

const timePosition = z.object({ t: z.string().datetime(), id: z.uuid() });

/**
 * The common order, newest first: `(createdAt DESC, id DESC)` with the id breaking ties.
 * `where(cursor)` is a Prisma filter for "strictly after this position"; `orderBy` matches it.
 * Rows must expose `createdAt` and `id` (select them).
 */
export const timeCursor = {
  of: (row: { createdAt: Date; id: string }): string =>
    encodeCursor({ t: row.createdAt.toISOString(), id: row.id }),
  decode: (cursor: string): { createdAt: Date; id: string } => {
    const { t, id } = decodeCursor(cursor, timePosition);
    return { createdAt: new Date(t), id };
  },
  /** `{}` without a cursor, so it can be spread into any `where`. */
  where: (
    cursor: string | null | undefined,
  ): { OR?: Array<{ createdAt: { lt: Date } } | { createdAt: Date; id: { lt: string } }> } => {
    if (!cursor) return {};
    const { createdAt, id } = timeCursor.decode(cursor);
    return { OR: [{ createdAt: { lt: createdAt } }, { createdAt, id: { lt: id } }] };
  },
  orderBy: [{ createdAt: 'desc' as const }, { id: 'desc' as const }],
};
