import { z } from 'zod';
import { authedProcedure, router } from '../trpc/init';
import { like, unlike } from './likes';

const generationIdInput = z.object({ generationId: z.uuid() });

export const likesRouter = router({
  like: authedProcedure
    .input(generationIdInput)
    .mutation(({ ctx, input }) => like(ctx.deps, ctx.viewer, input)),
  unlike: authedProcedure
    .input(generationIdInput)
    .mutation(({ ctx, input }) => unlike(ctx.deps, ctx.viewer, input)),
});
