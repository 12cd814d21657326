import { z } from 'zod';
import { paginationInput } from '../common/pagination';
import { listFollowing, profileUpdate, updateProfile, upgradeToArtist, userProfile } from './users';
import { artistProcedure, authedProcedure, publicProcedure, router } from '../trpc/init';
import { replaceSignature, setProfilePicture } from './pictures';

// A 2 MB PNG is at most ~2.8 MB of base64; the verifier enforces the real limits.
const base64Png = z
  .string()
  .max(3_000_000)
  .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'base64 PNG bytes');

const base64Image = base64Png.describe('base64 PNG, JPEG or WebP bytes');

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

  /** My profile picture: a PNG, JPEG or WebP (base64, up to 2 MB), stored squared at 256 px. */
  setProfilePicture: authedProcedure
    .input(z.object({ image: base64Image }))
    .mutation(({ ctx, input }) =>
      setProfilePicture(ctx.deps, ctx.viewer, { image: new Uint8Array(Buffer.from(input.image, 'base64')) }),
    ),

  /** An artist's new signature (PNG with transparency) for the images made from now on. */
  replaceSignature: artistProcedure.input(z.object({ signaturePng: base64Png })).mutation(({ ctx, input }) =>
    replaceSignature(ctx.deps, ctx.viewer, {
      signaturePng: new Uint8Array(Buffer.from(input.signaturePng, 'base64')),
    }),
  ),

  /** Whom a user follows (me when `userId` is left out), newest first. */
  following: publicProcedure
    .input(paginationInput.extend({ userId: z.string().uuid().optional() }))
    .query(({ ctx, input }) => listFollowing(ctx.deps, ctx.viewer, input)),
});
