import { z } from 'zod';
import { paginationInput } from '../common/pagination';
import { publicRead } from '../trpc/public-cache';
import { search, searchOverlay } from './search';
import { publicProcedure, router } from '../trpc/init';

export const searchRouter = router({
  /** Styles by name and tags, artists and users by name; ranked, each hit saying what it matched. */
  query: publicProcedure
    .input(
      paginationInput.extend({
        q: z.string().trim().min(1).max(100),
        type: z.enum(['styles', 'artists', 'all']).default('all'),
      }),
    )
    .query(({ ctx, input }) =>
      publicRead(
        ctx,
        `search:${JSON.stringify(input)}`,
        () => search(ctx.deps, null, input),
        (result, viewer) => searchOverlay(ctx.deps, viewer, result),
      ),
    ),
});
