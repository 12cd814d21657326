import { z } from 'zod';
import { paginationInput } from '../common/pagination';
import { authedProcedure, publicProcedure, router } from '../trpc/init';
import { addComment, deleteComment, editComment, listComments } from './comments';

const generationIdInput = z.object({ generationId: z.uuid() });
const commentContent = z.string().trim().min(1).max(2000);

export const commentsRouter = router({
  list: publicProcedure
    .input(paginationInput.extend(generationIdInput.shape))
    .query(({ ctx, input }) => listComments(ctx.deps, ctx.viewer, input)),
  create: authedProcedure
    .input(z.object({ generationId: z.uuid(), content: commentContent, parentId: z.uuid().nullish() }))
    .mutation(({ ctx, input }) => addComment(ctx.deps, ctx.viewer, input)),
  update: authedProcedure
    .input(z.object({ commentId: z.uuid(), content: commentContent }))
    .mutation(({ ctx, input }) => editComment(ctx.deps, ctx.viewer, input)),
  delete: authedProcedure
    .input(z.object({ commentId: z.uuid() }))
    .mutation(({ ctx, input }) => deleteComment(ctx.deps, ctx.viewer, input)),
});
