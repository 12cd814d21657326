import { DomainError } from '@stylelicense/contracts';
import type { TransactionClient } from '@stylelicense/db';
import type { Viewer } from './viewer';

/**
 * Who may see a generation: its owner and admins always; everyone else only once it is public,
 * not hidden and completed. Anything else answers GENERATION_NOT_FOUND, so ids of private
 * generations cannot be probed. Returns the owner's id.
 */
export async function assertGenerationVisible(
  tx: Pick<TransactionClient, '$queryRaw'>,
  generationId: string,
  viewer: Viewer | null,
): Promise<{ ownerId: string }> {
  const rows = await tx.$queryRaw<Array<{ user_id: string; listed: boolean }>>`
    SELECT user_id::text, (is_public AND NOT is_hidden AND status = 'completed') AS listed
    FROM generations WHERE id = ${generationId}::uuid`;
  const row = rows[0];
  const allowed =
    row && (row.listed || (viewer && (viewer.userId === row.user_id || viewer.role === 'admin')));
  if (!row || !allowed)
    throw new DomainError('GENERATION_NOT_FOUND', 'No such generation.', { generationId });
  return { ownerId: row.user_id };
}
