import { z } from 'zod';
import { paginationInput } from '../common/pagination';
import { authedProcedure, router } from '../trpc/init';
import { follow, listFollows, unfollow } from './follows';

const userIdInput = z.object({ userId: z.uuid() });

export const followsRouter = router({
  follow: authedProcedure
    .input(userIdInput)
    .mutation(({ ctx, input }) => follow(ctx.deps, ctx.viewer, input)),
  unfollow: authedProcedure
    .input(userIdInput)
    .mutation(({ ctx, input }) => unfollow(ctx.deps, ctx.viewer, input)),
  /** Whom I follow. */
  following: authedProcedure
    .input(paginationInput)
    .query(({ ctx, input }) => listFollows(ctx.deps, ctx.viewer, { direction: 'following', ...input })),
  /** Who follows me. */
  followers: authedProcedure
    .input(paginationInput)
    .query(({ ctx, input }) => listFollows(ctx.deps, ctx.viewer, { direction: 'followers', ...input })),
});
