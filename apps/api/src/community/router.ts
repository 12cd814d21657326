import { z } from 'zod';
import { addComment, deleteComment, editComment, listComments } from './comments';
import { follow, listFollows, unfollow } from './follows';
import { like, unlike } from './likes';
import { paginationInput } from '../common/pagination';
import { authedProcedure, publicProcedure, router } from '../trpc/init';

const userIdInput = z.object({ userId: z.uuid() });
const generationIdInput = z.object({ generationId: z.uuid() });
const commentContent = z.string().trim().min(1).max(2000);

export const followsRouter = router({
  follow: authedProcedure.input(userIdInput).mutation(({ ctx, input }) => follow(ctx.deps, ctx.viewer.userId, input.userId)),
  unfollow: authedProcedure.input(userIdInput).mutation(({ ctx, input }) => unfollow(ctx.deps.db, ctx.viewer.userId, input.userId)),
  /** Whom I follow. */
  following: authedProcedure
    .input(paginationInput)
    .query(({ ctx, input }) => listFollows(ctx.deps.db, ctx.viewer.userId, { direction: 'following', ...input })),
  /** Who follows me. */
  followers: authedProcedure
    .input(paginationInput)
    .query(({ ctx, input }) => listFollows(ctx.deps.db, ctx.viewer.userId, { direction: 'followers', ...input })),
});

export const likesRouter = router({
  like: authedProcedure.input(generationIdInput).mutation(({ ctx, input }) => like(ctx.deps, ctx.viewer, input.generationId)),
  unlike: authedProcedure.input(generationIdInput).mutation(({ ctx, input }) => unlike(ctx.deps.db, ctx.viewer, input.generationId)),
});

export const commentsRouter = router({
  list: publicProcedure
    .input(paginationInput.extend(generationIdInput.shape))
    .query(({ ctx, input }) => listComments(ctx.deps.db, ctx.viewer, input)),
  create: authedProcedure
    .input(z.object({ generationId: z.uuid(), content: commentContent, parentId: z.uuid().nullish() }))
    .mutation(({ ctx, input }) => addComment(ctx.deps, ctx.viewer, input)),
  update: authedProcedure
    .input(z.object({ commentId: z.uuid(), content: commentContent }))
    .mutation(({ ctx, input }) => editComment(ctx.deps.db, ctx.viewer, input)),
  delete: authedProcedure
    .input(z.object({ commentId: z.uuid() }))
    .mutation(({ ctx, input }) => deleteComment(ctx.deps.db, ctx.viewer, input.commentId)),
});
