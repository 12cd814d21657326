import { z } from 'zod';
import { publicRead } from '../services/public-cache';
import { search } from '../services/search';
import { publicProcedure, router } from '../trpc/init';

export const searchRouter = router({
  /** Styles by name and tags, artists and users by name; ranked, each hit saying what it matched. */
  query: publicProcedure
    .input(
      z.object({
        q: z.string().trim().min(1).max(100),
        type: z.enum(['styles', 'artists', 'all']).default('all'),
        limit: z.number().int().min(1).max(50).default(10),
      }),
    )
    .query(({ ctx, input }) => publicRead(ctx.deps, ctx.viewer, `search:${JSON.stringify(input)}`, () => search(ctx.deps, input))),
});
