import { z } from 'zod';
import { API_KEY_SCOPES, createApiKey, listApiKeys, revokeApiKey } from './apikeys';
import { router, sessionProcedure } from '../trpc/init';

/** A signed-in user's keys for programs; managed from a browser session only, never with a key. */
export const apiKeysRouter = router({
  /** Issues a key: `key` is shown this once. */
  create: sessionProcedure
    .input(
      z.object({
        name: z.string().trim().min(1).max(100),
        scopes: z.array(z.enum(API_KEY_SCOPES)).min(1).max(API_KEY_SCOPES.length),
        expiresAt: z.coerce.date().optional(),
      }),
    )
    .mutation(({ ctx, input }) => createApiKey(ctx.deps, ctx.viewer, input)),
  list: sessionProcedure.query(({ ctx }) => listApiKeys(ctx.deps, ctx.viewer)),
  revoke: sessionProcedure
    .input(z.object({ apiKeyId: z.uuid() }))
    .mutation(({ ctx, input }) => revokeApiKey(ctx.deps, ctx.viewer, input)),
});
