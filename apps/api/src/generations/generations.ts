import {
  ASPECT_RATIOS,
  DomainError,
  type AspectRatio,
  type GenerationProgress,
  type GenerationStatus,
} from '@stylelicense/contracts';
import { Prisma, queryRows } from '@stylelicense/db';
import type { AppDeps } from '../deps';
import { ledgerKeys } from '../tokens/ledger';
import { downloadUrl } from '../common/media';
import { pageOf, timeCursor, type Page } from '../common/pagination';
import type { Viewer } from '../common/viewer';
import { refundedQuery, selectGenerations } from './queries';

export type Deps = Pick<AppDeps, 'db' | 'storage' | 'events' | 'config'>;

export interface GenerationView {
  id: string;
  style: { id: string; name: string; artistId: string; artistName: string };
  author: { id: string; username: string; profileImage: string | null };
  status: GenerationStatus;
  aspectRatio: AspectRatio;
  width: number;
  height: number;
  promptTags: string[];
  description: string;
  /** Presigned, expiring; null until completed. */
  resultUrl: string | null;
  likeCount: number;
  commentCount: number;
  isLiked: boolean;
  createdAt: Date;
  completedAt: Date | null;
  /** What only the owner (or an admin) sees. */
  owner: {
    isPublic: boolean;
    isHidden: boolean;
    /** A moderator hid it: it stays out of every public list until a moderator unhides it. */
    moderationHidden: boolean;
    seed: number;
    consumedTokens: number;
    progress: GenerationProgress | null;
    failure: { code: string; message: string } | null;
    attempt: number;
    refunded: boolean;
  } | null;
}

export interface GenerationRow {
  id: string;
  user_id: string;
  username: string;
  profile_image: string | null;
  style_id: string;
  style_name: string;
  artist_id: string;
  artist_name: string;
  status: GenerationStatus;
  aspect_ratio: AspectRatio;
  description: string;
  result_image: string | null;
  like_count: number;
  comment_count: number;
  is_liked: boolean;
  created_at: Date;
  completed_at: Date | null;
  is_public: boolean;
  is_hidden: boolean;
  moderation_hidden: boolean;
  /** int8: a bigint through Prisma, a string through `pg` (queryRows) */
  seed: bigint | string;
  consumed_tokens: number;
  generation_progress: GenerationProgress | null;
  failure: { code?: string; message?: string } | null;
  attempt: number;
  tags: string[];
}

export async function toViews(
  deps: Deps,
  viewer: Viewer | null,
  rows: GenerationRow[],
): Promise<GenerationView[]> {
  const ownIds = rows
    .filter((r) => viewer && (viewer.userId === r.user_id || viewer.role === 'admin'))
    .map((r) => r.id);
  const refunded = new Set<string>();
  if (ownIds.length) {
    const found = await queryRows<{ generation_id: string | null }>(
      deps.db,
      'generations.refunded',
      refundedQuery(ownIds.map(ledgerKeys.refund)),
    );
    for (const f of found) if (f.generation_id) refunded.add(f.generation_id);
  }
  return Promise.all(
    rows.map(async (r): Promise<GenerationView> => {
      const { width, height } = ASPECT_RATIOS[r.aspect_ratio];
      const own = ownIds.includes(r.id);
      return {
        id: r.id,
        style: { id: r.style_id, name: r.style_name, artistId: r.artist_id, artistName: r.artist_name },
        author: { id: r.user_id, username: r.username, profileImage: r.profile_image },
        status: r.status,
        aspectRatio: r.aspect_ratio,
        width,
        height,
        promptTags: r.tags,
        description: r.description,
        resultUrl: r.status === 'completed' ? await downloadUrl(deps.storage, r.result_image) : null,
        likeCount: r.like_count,
        commentCount: r.comment_count,
        isLiked: r.is_liked,
        createdAt: r.created_at,
        completedAt: r.completed_at,
        owner: own
          ? {
              isPublic: r.is_public,
              isHidden: r.is_hidden,
              moderationHidden: r.moderation_hidden,
              seed: Number(r.seed),
              consumedTokens: r.consumed_tokens,
              progress: r.generation_progress,
              failure: r.failure
                ? { code: r.failure.code ?? 'UNKNOWN', message: r.failure.message ?? '' }
                : null,
              attempt: r.attempt,
              refunded: refunded.has(r.id),
            }
          : null,
      };
    }),
  );
}

/** Owner and admins see everything; others only a public, visible, completed generation. */
export async function getGeneration(
  deps: Deps,
  viewer: Viewer | null,
  { generationId }: { generationId: string },
): Promise<GenerationView> {
  const rows = await queryRows<GenerationRow>(
    deps.db,
    'generations.byId',
    selectGenerations(viewer?.userId ?? null, Prisma.sql`g.id = ${generationId}::uuid`, Prisma.empty),
  );
  const row = rows[0];
  const own = row && viewer && (viewer.userId === row.user_id || viewer.role === 'admin');
  if (!row || (!own && !(row.is_public && !row.is_hidden && row.status === 'completed'))) {
    throw new DomainError('GENERATION_NOT_FOUND', 'No such generation.', { generationId });
  }
  return (await toViews(deps, viewer, [row]))[0]!;
}

export interface UpdateGenerationInput {
  generationId: string;
  isPublic?: boolean;
  isHidden?: boolean;
  description?: string;
}

/**
 * Publish/unpublish, hide (there is no delete) and describe: the owner only. Publishing what a
 * moderator hid is HIDDEN_BY_MODERATION (checked in the update itself, so a concurrent hide wins).
 */
export async function updateGeneration(
  deps: Deps,
  viewer: Viewer,
  input: UpdateGenerationInput,
): Promise<GenerationView> {
  const publishing = input.isPublic === true;
  const { count } = await deps.db.generation.updateMany({
    where: {
      id: input.generationId,
      userId: viewer.userId,
      ...(publishing ? { moderationHiddenAt: null } : {}),
    },
    data: {
      ...(input.isPublic !== undefined ? { isPublic: input.isPublic } : {}),
      ...(input.isHidden !== undefined ? { isHidden: input.isHidden } : {}),
      ...(input.description !== undefined ? { description: input.description.trim() } : {}),
    },
  });
  if (count === 0) {
    const hidden =
      publishing &&
      (await deps.db.generation.count({
        where: { id: input.generationId, userId: viewer.userId, moderationHiddenAt: { not: null } },
      })) > 0;
    if (hidden)
      throw new DomainError(
        'HIDDEN_BY_MODERATION',
        'A moderator hid this generation; it cannot be made public.',
        { generationId: input.generationId },
      );
    throw new DomainError('GENERATION_NOT_FOUND', 'No such generation.', {
      generationId: input.generationId,
    });
  }
  return getGeneration(deps, viewer, input);
}

export type Visibility = 'public' | 'private' | 'hidden' | 'visible' | 'all';

/** The caller's own generations, newest first; hidden ones only when asked for. */
export async function listMyGenerations(
  deps: Deps,
  viewer: Viewer,
  {
    status,
    visibility = 'visible',
    limit,
    cursor,
  }: { status?: GenerationStatus; visibility?: Visibility; limit: number; cursor?: string | null },
): Promise<Page<GenerationView>> {
  const conditions = [Prisma.sql`g.user_id = ${viewer.userId}::uuid`];
  if (status) conditions.push(Prisma.sql`g.status = ${status}::"GenerationStatus"`);
  if (visibility === 'public') conditions.push(Prisma.sql`g.is_public AND NOT g.is_hidden`);
  if (visibility === 'private') conditions.push(Prisma.sql`NOT g.is_public AND NOT g.is_hidden`);
  if (visibility === 'hidden') conditions.push(Prisma.sql`g.is_hidden`);
  if (visibility === 'visible') conditions.push(Prisma.sql`NOT g.is_hidden`);
  if (cursor) {
    const after = timeCursor.decode(cursor);
    conditions.push(Prisma.sql`(g.created_at, g.id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)`);
  }
  // Personal by nature (never cached), so on the fast statement path.
  const rows = await queryRows<GenerationRow>(
    deps.db,
    'generations.mine',
    selectGenerations(
      viewer.userId,
      Prisma.join(conditions, ' AND '),
      Prisma.sql`ORDER BY g.created_at DESC, g.id DESC LIMIT ${limit + 1}`,
    ),
  );
  const page = pageOf(rows, limit, (last) => timeCursor.of({ createdAt: last.created_at, id: last.id }));
  return { ...page, items: await toViews(deps, viewer, page.items) };
}
