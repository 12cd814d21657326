import { z } from 'zod';
import { publicProcedure, router } from '../trpc/init';
import { VERIFY_MAX_BYTES, verifyImage } from './verify';

export const provenanceRouter = router({
  /** Is this image ours, what made it, and were its pixels changed? (REST: POST /api/provenance/verify) */
  verify: publicProcedure
    .input(z.object({ imageBase64: z.base64().max(Math.ceil(VERIFY_MAX_BYTES / 3) * 4) }))
    .mutation(({ ctx, input }) =>
      verifyImage(ctx.deps, ctx.viewer, { image: Buffer.from(input.imageBase64, 'base64') }),
    ),
});
