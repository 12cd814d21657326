import { randomInt } from 'node:crypto';
import {
  ASPECT_RATIOS,
  DomainError,
  generationJobSchema,
  type AspectRatio,
  type DomainEvent,
  type GenerationProgress,
  type GenerationStatus,
} from '@stylelicense/contracts';
import { Prisma, withTransaction, type AspectRatio as DbAspectRatio } from '@stylelicense/db';
import { ATTEMPT_HEADER, JOB_QUEUES } from '@stylelicense/queue';
import type { AppDeps } from '../deps';
import { publishAll } from '../messaging/events';
import { uuidv7 } from '../common/ids';
import { holdForGeneration, ledgerKeys } from '../tokens/ledger';
import { downloadUrl } from '../common/media';
import { enqueueOutboxMessage } from '../messaging/outbox';
import { pageOf, timeCursor, type Page } from '../common/pagination';
import { linkGenerationTags, normalizeTags } from '../styles/tags';
import type { Viewer } from '../common/viewer';
import { selectGenerations } from './queries';
import { assertPromptAllowed, promptRulesFor } from '../moderation/prompt-rules';

export type Deps = Pick<AppDeps, 'db' | 'storage' | 'events' | 'config'>;

const TO_DB_ASPECT: Record<AspectRatio, DbAspectRatio> = {
  '1:1': 'square',
  '2:2': 'squareLarge',
  '1:2': 'portrait',
};

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
    seed: number;
    consumedTokens: number;
    progress: GenerationProgress | null;
    failure: { code: string; message: string } | null;
    attempt: number;
    refunded: boolean;
  } | null;
}

export interface CreateGenerationInput {
  styleId: string;
  promptTags: string[];
  description?: string;
  aspectRatio: AspectRatio;
  seed?: number;
}

/**
 * Submits a generation: the prompt must pass the prompt rules (PROMPT_REFUSED), the style must
 * not be flagged (STYLE_FLAGGED) and must be trained, active and within its licence period
 * (STYLE_NOT_READY otherwise). One transaction writes the generation, takes the tokens
 * (INSUFFICIENT_TOKENS, never below zero), links the prompt tags and queues the job in the outbox.
 */
export async function createGeneration(
  deps: Deps,
  viewer: Viewer,
  input: CreateGenerationInput,
): Promise<GenerationView> {
  const promptTags = normalizeTags(input.promptTags);
  if (promptTags.length === 0)
    throw new DomainError('VALIDATION_ERROR', 'Give at least one prompt tag.', { field: 'promptTags' });
  assertPromptAllowed(promptRulesFor(deps.config.PROMPT_REFUSED_TERMS), {
    promptTags,
    description: input.description,
  });
  const style = await deps.db.style.findUnique({
    where: { id: input.styleId },
    select: {
      id: true,
      name: true,
      trainingStatus: true,
      isActive: true,
      isFlagged: true,
      validFrom: true,
      validTo: true,
      modelPath: true,
      generationCostTokens: true,
      licenseType: true,
      artist: { select: { userId: true, artistName: true, signatureImage: true } },
    },
  });
  if (!style) throw new DomainError('STYLE_NOT_FOUND', 'No such style.', { styleId: input.styleId });
  if (style.isFlagged)
    throw new DomainError('STYLE_FLAGGED', 'This style was flagged by moderation and cannot be used.', {
      styleId: style.id,
    });
  const now = new Date();
  const ready =
    style.trainingStatus === 'completed' &&
    style.isActive &&
    style.modelPath &&
    style.validFrom <= now &&
    (!style.validTo || style.validTo > now);
  if (!ready) {
    throw new DomainError('STYLE_NOT_READY', 'This style cannot be used right now.', {
      styleId: style.id,
      trainingStatus: style.trainingStatus,
    });
  }
  const generationId = uuidv7();
  const seed = input.seed ?? randomInt(0, 2 ** 32 - 1);
  const { width, height } = ASPECT_RATIOS[input.aspectRatio];
  const job = generationJobSchema.parse({
    v: 1,
    generationId,
    styleId: style.id,
    userId: viewer.userId,
    loraModelKey: style.modelPath,
    promptTags,
    description: input.description?.trim() || null,
    aspectRatio: input.aspectRatio,
    width,
    height,
    seed,
    steps: deps.config.GENERATION_STEPS,
    guidance: deps.config.GENERATION_GUIDANCE,
    attempt: 1,
    signatureKey: style.artist.signatureImage,
    artistName: style.artist.artistName,
    styleName: style.name,
    licenseType: style.licenseType,
    requestedAt: now.toISOString(),
  });
  await withTransaction(deps.db, async (tx) => {
    await tx.generation.create({
      data: {
        id: generationId,
        userId: viewer.userId,
        styleId: style.id,
        aspectRatio: TO_DB_ASPECT[input.aspectRatio],
        seed: BigInt(seed),
        consumedTokens: style.generationCostTokens,
        description: input.description?.trim() ?? '',
      },
    });
    await holdForGeneration(tx, {
      userId: viewer.userId,
      generationId,
      styleId: style.id,
      amount: style.generationCostTokens,
    });
    await linkGenerationTags(tx, generationId, promptTags);
    await enqueueOutboxMessage(tx, {
      destination: JOB_QUEUES.generation,
      payload: job,
      messageId: generationId,
      headers: { [ATTEMPT_HEADER]: 1 },
    });
  });
  const event: DomainEvent = {
    v: 1,
    type: 'generation.updated',
    ownerId: viewer.userId,
    generationId,
    status: 'queued',
    progress: null,
    occurredAt: now.toISOString(),
  };
  await publishAll(deps.events, [event]);
  return getGeneration(deps, viewer, { generationId });
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
    const found = await deps.db.transaction.findMany({
      where: { idempotencyKey: { in: ownIds.map(ledgerKeys.refund) } },
      select: { generationId: true },
    });
    for (const f of found) if (f.generationId) refunded.add(f.generationId);
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
  const rows = await deps.db.$queryRaw<GenerationRow[]>(
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

/** Publish/unpublish, hide (there is no delete) and describe: the owner only. */
export async function updateGeneration(
  deps: Deps,
  viewer: Viewer,
  input: UpdateGenerationInput,
): Promise<GenerationView> {
  const { count } = await deps.db.generation.updateMany({
    where: { id: input.generationId, userId: viewer.userId },
    data: {
      ...(input.isPublic !== undefined ? { isPublic: input.isPublic } : {}),
      ...(input.isHidden !== undefined ? { isHidden: input.isHidden } : {}),
      ...(input.description !== undefined ? { description: input.description.trim() } : {}),
    },
  });
  if (count === 0)
    throw new DomainError('GENERATION_NOT_FOUND', 'No such generation.', {
      generationId: input.generationId,
    });
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
  const rows = await deps.db.$queryRaw<GenerationRow[]>(
    selectGenerations(
      viewer.userId,
      Prisma.join(conditions, ' AND '),
      Prisma.sql`ORDER BY g.created_at DESC, g.id DESC LIMIT ${limit + 1}`,
    ),
  );
  const page = pageOf(rows, limit, (last) => timeCursor.of({ createdAt: last.created_at, id: last.id }));
  return { ...page, items: await toViews(deps, viewer, page.items) };
}
