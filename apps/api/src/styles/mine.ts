import type { TrainingProgress, TrainingStatus } from '@stylelicense/contracts';
import { Prisma, queryRows } from '@stylelicense/db';
import { downloadUrl } from '../common/media';
import { pageOf, timeCursor, type Page } from '../common/pagination';
import type { Viewer } from '../common/viewer';
import { myStylesQuery } from './queries';
import type { Deps } from './style-view';

export interface MyStyle {
  id: string;
  name: string;
  trainingStatus: TrainingStatus;
  progress: TrainingProgress | null;
  isActive: boolean;
  isFlagged: boolean;
  generationCostTokens: number;
  usageCount: number;
  /** Tokens this style has earned its artist (completed generations). */
  earnedTokens: number;
  thumbnailUrl: string | null;
  createdAt: Date;
}

interface MyStyleRow {
  id: string;
  name: string;
  training_status: TrainingStatus;
  training_progress: TrainingProgress | null;
  is_active: boolean;
  is_flagged: boolean;
  generation_cost_tokens: number;
  usage_count: number;
  /** int8: a string through `pg`, a bigint through Prisma */
  earned_tokens: string | bigint;
  thumbnail: string | null;
  created_at: Date;
}

/**
 * The artist's own styles in every state, newest first, each with what it has earned. Personal by
 * nature (never cached), so one prepared statement per page.
 */
export async function listMyStyles(
  deps: Deps,
  viewer: Viewer,
  { limit, cursor }: { limit: number; cursor?: string | null },
): Promise<Page<MyStyle>> {
  const after = cursor ? timeCursor.decode(cursor) : null;
  const rows = await queryRows<MyStyleRow>(
    deps.db,
    'styles.mine',
    myStylesQuery(
      viewer.userId,
      after ? Prisma.sql`(s.created_at, s.id) < (${after.createdAt}::timestamptz, ${after.id}::uuid)` : null,
      limit + 1,
    ),
  );
  const page = pageOf(rows, limit, (last) => timeCursor.of({ createdAt: last.created_at, id: last.id }));
  return {
    ...page,
    items: await Promise.all(
      page.items.map(async (s) => ({
        id: s.id,
        name: s.name,
        trainingStatus: s.training_status,
        progress: s.training_status === 'training' ? s.training_progress : null,
        isActive: s.is_active,
        isFlagged: s.is_flagged,
        generationCostTokens: s.generation_cost_tokens,
        usageCount: s.usage_count,
        earnedTokens: Number(s.earned_tokens),
        thumbnailUrl: await downloadUrl(deps.storage, s.thumbnail),
        createdAt: s.created_at,
      })),
    ),
  };
}
