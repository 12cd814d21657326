import { z } from 'zod';
import { paginationInput } from '../common/pagination';
import { listFollowing, profileUpdate, updateProfile, upgradeToArtist, userProfile } from './users';
import { authedProcedure, publicProcedure, router } from '../trpc/init';

// A 2 MB PNG is at most ~2.8 MB of base64; the verifier enforces the real limits.
const base64Png = z
  .string()
  .max(3_000_000)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64 PNG bytes');

export const usersRouter = router({
  /** A public profile with stats (generations, public generations, following) and the artist block. */
  byId: publicProcedure
    .input(z.object({ userId: z.string().uuid() }))
    .query(({ ctx, input }) => userProfile(ctx.deps, ctx.viewer, input)),

  /** Change my username (unique, 3–50 of A–Z a–z 0–9 _ .) or bio (≤ 500 characters). */
  updateMe: authedProcedure
    .input(profileUpdate)
    .mutation(({ ctx, input }) => updateProfile(ctx.deps, ctx.viewer, input)),

  /** Become an artist: name, a verified e-mail of mine, and a signature PNG with transparency. */
  upgradeToArtist: authedProcedure
    .input(
      z.object({
        artistName: z.string().trim().min(1).max(100),
        email: z.string().email().max(320).optional(),
        signaturePng: base64Png,
      }),
    )
    .mutation(({ ctx, input }) =>
      upgradeToArtist(ctx.deps, ctx.viewer, {
        artistName: input.artistName,
        email: input.email,
        signaturePng: new Uint8Array(Buffer.from(input.signaturePng, 'base64')),
      }),
    ),

  /** Whom a user follows (me when `userId` is left out), newest first. */
  following: publicProcedure
    .input(paginationInput.extend({ userId: z.string().uuid().optional() }))
    .query(({ ctx, input }) => listFollowing(ctx.deps, ctx.viewer, input)),
});
