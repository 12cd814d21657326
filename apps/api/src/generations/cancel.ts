import { DomainError, FINAL_GENERATION_STATUSES, type GenerationStatus } from '@stylelicense/contracts';
import { withTransaction } from '@stylelicense/db';
import { JOB_QUEUES } from '@stylelicense/queue';
import { publishAll } from '../messaging/events';
import { refundGeneration } from '../tokens/ledger';
import type { Viewer } from '../common/viewer';
import { getGeneration, type Deps, type GenerationView } from './generations';

/**
 * The owner stops a queued or running generation: it becomes `cancelled` and its hold is refunded,
 * in one transaction that locks the row, so a completion or failure racing it either finished
 * first (GENERATION_NOT_CANCELLABLE) or is ignored afterwards; the ledger's refund key keeps the
 * refund to one. A job not yet published is dropped; a running worker learns of it from the answer
 * to its next progress report and stops.
 */
export async function cancelGeneration(
  deps: Deps,
  viewer: Viewer,
  input: { generationId: string },
): Promise<GenerationView> {
  const { generationId } = input;
  await withTransaction(deps.db, async (tx) => {
    const rows = await tx.$queryRaw<Array<{ user_id: string; status: GenerationStatus }>>`
      SELECT user_id::text, status::text AS status FROM generations WHERE id = ${generationId}::uuid FOR UPDATE`;
    const generation = rows[0];
    if (!generation || generation.user_id !== viewer.userId)
      throw new DomainError('GENERATION_NOT_FOUND', 'No such generation.', { generationId });
    if (FINAL_GENERATION_STATUSES.includes(generation.status))
      throw new DomainError(
        'GENERATION_NOT_CANCELLABLE',
        `This generation is already ${generation.status}.`,
        {
          generationId,
          status: generation.status,
        },
      );
    await tx.$executeRaw`
      UPDATE generations SET status = 'cancelled', generation_progress = NULL, completed_at = now(), updated_at = now()
       WHERE id = ${generationId}::uuid`;
    await tx.$executeRaw`
      DELETE FROM outbox_messages
       WHERE status = 'pending' AND destination = ${JOB_QUEUES.generation}
         AND payload @> jsonb_build_object('generationId', ${generationId}::text)`;
    await refundGeneration(tx, { generationId });
  });
  await publishAll(deps.events, [
    {
      v: 1,
      type: 'generation.updated',
      ownerId: viewer.userId,
      generationId,
      status: 'cancelled',
      progress: null,
      occurredAt: new Date().toISOString(),
    },
  ]);
  return getGeneration(deps, viewer, input);
}
