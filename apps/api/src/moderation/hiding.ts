import { DomainError } from '@stylelicense/contracts';
import { setCommentModerationHidden } from '../community/comments';
import type { Viewer } from '../common/viewer';
import { moderate, type ActionInput, type Applied, type Deps } from './actions';
import type { AuditEntryView } from './audit';

// What a moderator hides stays hidden whatever its owner does: moderation_hidden_at is the
// moderator's mark beside the owner's own flags, and only a moderator's unhide clears it.

/**
 * Hides a generation from every public list (it stops being public; a CHECK keeps it so) or lifts
 * that. Its owner keeps the image and may publish it again only after an unhide.
 */
export async function setGenerationModerationHidden(
  deps: Deps,
  viewer: Viewer,
  input: ActionInput & { generationId: string; hidden: boolean },
): Promise<AuditEntryView> {
  const kind = input.hidden ? 'hide_generation' : 'unhide_generation';
  const target = { kind, targetType: 'generation', targetId: input.generationId } as const;
  return moderate(deps, viewer, { ...input, ...target }, async (tx): Promise<Applied> => {
    const generation = await tx.generation.findUnique({
      where: { id: input.generationId },
      select: { userId: true, isPublic: true },
    });
    if (!generation)
      throw new DomainError('GENERATION_NOT_FOUND', 'No such generation.', {
        generationId: input.generationId,
      });
    // Conditional, so two moderators racing change it (and notify) once.
    const { count } = await tx.generation.updateMany({
      where: { id: input.generationId, moderationHiddenAt: input.hidden ? null : { not: null } },
      data: input.hidden ? { moderationHiddenAt: new Date(), isPublic: false } : { moderationHiddenAt: null },
    });
    if (count === 0)
      throw new DomainError(
        'CONFLICT',
        `The generation is already ${input.hidden ? 'hidden' : 'not hidden'} by moderation.`,
        { generationId: input.generationId },
      );
    return {
      details: input.hidden ? { wasPublic: generation.isPublic } : {},
      notices: [
        {
          recipientId: generation.userId,
          type: input.hidden ? 'generation_hidden' : 'generation_unhidden',
          targetType: 'generation',
          targetId: input.generationId,
          metadata: { note: input.note },
        },
      ],
    };
  });
}

/** Hides a comment with its replies from every list (the rows stay, for an unhide), or lifts that. */
export async function setCommentHidden(
  deps: Deps,
  viewer: Viewer,
  input: ActionInput & { commentId: string; hidden: boolean },
): Promise<AuditEntryView> {
  const kind = input.hidden ? 'hide_comment' : 'unhide_comment';
  const target = { kind, targetType: 'comment', targetId: input.commentId } as const;
  return moderate(deps, viewer, { ...input, ...target }, async (tx): Promise<Applied> => {
    const comment = await setCommentModerationHidden(tx, input.commentId, input.hidden);
    if (!comment)
      throw new DomainError('COMMENT_NOT_FOUND', 'No such comment.', { commentId: input.commentId });
    if (!comment.changed)
      throw new DomainError(
        'CONFLICT',
        `The comment is already ${input.hidden ? 'hidden' : 'not hidden'} by moderation.`,
        { commentId: input.commentId },
      );
    return {
      details: { content: comment.content, generationId: comment.generationId },
      notices: [
        {
          recipientId: comment.authorId,
          type: input.hidden ? 'comment_hidden' : 'comment_unhidden',
          targetType: 'generation',
          targetId: comment.generationId,
          metadata: { note: input.note, commentId: input.commentId },
        },
      ],
    };
  });
}
