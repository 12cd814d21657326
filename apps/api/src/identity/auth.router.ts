import { DomainError } from '@stylelicense/contracts';
import { TRPCError } from '@trpc/server';
import { z } from 'zod';
import { devSignIn } from './accounts';
import { createSession, invalidateSession, invalidateUserSessions, sessionPolicy } from './sessions';
import { me } from './users';
import { authedProcedure, publicProcedure, router, signInRateLimit } from '../trpc/init';

export const authRouter = router({
  /** The signed-in user with role, balances and artist profile. */
  me: authedProcedure.query(({ ctx }) => me(ctx.deps, ctx.viewer)),

  /**
   * Who is signed in (null when nobody) and which sign-in methods this server offers: the web app
   * asks on every load, so a signed-out visitor gets an answer rather than an UNAUTHORIZED error.
   */
  session: publicProcedure.query(async ({ ctx }) => ({
    user: ctx.viewer ? await me(ctx.deps, ctx.viewer) : null,
    methods: {
      google: Boolean(ctx.deps.config.GOOGLE_CLIENT_ID && ctx.deps.config.GOOGLE_CLIENT_SECRET),
      devSignIn: ctx.deps.config.MODE !== 'production',
    },
  })),

  /** Development sign-in (pick or create a demo user); refused in production. */
  devSignIn: publicProcedure
    .use(signInRateLimit)
    .input(
      z.object({
        username: z
          .string()
          .regex(/^[A-Za-z0-9_.]{3,50}$/, '3–50 letters, digits, "_" or "."')
          .default('demo_user'),
      }),
    )
    .mutation(async ({ ctx, input }) => {
      if (ctx.deps.config.MODE === 'production') {
        throw new TRPCError({
          code: 'FORBIDDEN',
          cause: new DomainError('FORBIDDEN', 'Dev sign-in is not available in production.'),
        });
      }
      const { user, created } = await devSignIn(ctx.deps.db, input);
      const session = await createSession(ctx.deps.db, sessionPolicy(ctx.deps.config), {
        userId: user.id,
        ipAddress: ctx.ip,
        userAgent: ctx.userAgent,
      });
      ctx.sessionCookie?.set(session);
      return { userId: user.id, username: user.username, created };
    }),

  /** Ends this session. */
  signOut: authedProcedure.mutation(async ({ ctx }) => {
    if (ctx.viewer.sessionId) {
      await invalidateSession(ctx.deps.db, ctx.viewer.sessionId);
      // Every instance hears it from the database; this one forgets it before answering.
      ctx.deps.sessionCache?.forget(ctx.viewer.sessionId);
    }
    ctx.sessionCookie?.clear();
    return { signedOut: 1 };
  }),

  /** Ends every session of this user, on every device. */
  signOutAll: authedProcedure.mutation(async ({ ctx }) => {
    const signedOut = await invalidateUserSessions(ctx.deps.db, ctx.viewer.userId);
    ctx.deps.sessionCache?.forgetUser(ctx.viewer.userId);
    ctx.sessionCookie?.clear();
    return { signedOut };
  }),
});
