import { DomainError } from '@stylelicense/contracts';
import { initTRPC, TRPCError } from '@trpc/server';
import superjson, { type SuperJSONResult } from 'superjson';
import { sharedResultSerializer } from './public-cache';
import type { Context } from './context';
import { rpcCodeFor, toApiError } from './errors';
import { nulCharacterPath } from './input-text';
import { enforceRateLimit } from './rate-limit';

const results = sharedResultSerializer<SuperJSONResult>((value) => superjson.serialize(value));

/** superjson both ways; a public page shared from the read cache is serialized once, not per request. */
export const transformer = {
  serialize: results.serialize,
  deserialize: (value: unknown) =>
    superjson.deserialize<unknown>(value as Parameters<typeof superjson.deserialize>[0]),
};

/**
 * A result as the UTF-8 JSON of `transformer.serialize(result)`, in chunks (a member's page: the
 * shared page's bytes and their booleans).
 */
export const serializeToChunks = results.toChunks;

const t = initTRPC.context<Context>().create({
  transformer,
  isDev: false,
  errorFormatter({ shape, error, ctx }) {
    const body = toApiError(error);
    if (body.code === 'INTERNAL_ERROR') ctx?.log.error({ err: error.cause ?? error }, 'unhandled error');
    return {
      message: body.message,
      code: rpcCodeFor(body.httpStatus, shape.code),
      data: {
        code: body.code,
        httpStatus: body.httpStatus,
        path: shape.data.path,
        ...(body.details ? { details: body.details } : {}),
        ...(body.issues ? { issues: body.issues } : {}),
      },
    };
  },
});

export const router = t.router;
export const middleware = t.middleware;
export const createCallerFactory = t.createCallerFactory;

/**
 * Anyone, signed in or not. Every call, in this order:
 * - text PostgreSQL cannot store is a VALIDATION_ERROR naming its field;
 * - its duration is timed, and its error code counted when it fails (REST v1 calls included: they
 *   call procedures), from here on;
 * - a refused API key refuses it, and a key's scopes decide what it may call: `read` for queries and
 *   subscriptions, `generate` for mutations;
 * - it counts against the API key's, the signed-in user's or the anonymous (per IP) limit.
 * One middleware, not one per rule: tRPC copies a call's options and context at every level, on
 * every call of every procedure.
 */
export const publicProcedure = t.procedure.use(async ({ ctx, path, type, getRawInput, next }) => {
  const field = nulCharacterPath(await getRawInput());
  if (field !== null) {
    throw new TRPCError({
      code: 'UNPROCESSABLE_CONTENT',
      cause: new DomainError('VALIDATION_ERROR', 'Text cannot contain NUL characters.', { field }),
    });
  }
  const { metrics } = ctx.deps;
  const end = metrics.procedureDuration.startTimer({ procedure: path, type });
  const failed = (error: unknown) =>
    metrics.procedureErrors.inc({ procedure: path, code: toApiError(error).code });
  try {
    admit(ctx, type);
    await enforceRateLimit(ctx, ctx.viewer ? 'user' : 'anonymous');
  } catch (error) {
    end();
    failed(error);
    throw error;
  }
  const result = await next();
  end();
  if (!result.ok) failed(result.error);
  return result;
});

/** Refuses a refused API key, and a key's call outside its scopes. */
function admit(ctx: Context, type: 'query' | 'mutation' | 'subscription'): void {
  if (ctx.apiKeyRefused) throw new TRPCError({ code: 'UNAUTHORIZED', cause: ctx.apiKeyRefused });
  const scope = type === 'mutation' ? 'generate' : 'read';
  if (ctx.viewer?.apiKey && !ctx.viewer.apiKey.scopes.includes(scope)) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      cause: new DomainError('API_KEY_SCOPE_MISSING', `This API key lacks the "${scope}" scope.`, { scope }),
    });
  }
}

/** SPEC's generation limit (per user): `authedProcedure.use(generationRateLimit)`. */
export const generationRateLimit = t.middleware(async ({ ctx, next }) => {
  await enforceRateLimit(ctx, 'generation');
  return next();
});

/** SPEC's sign-in limit (per IP), for sign-in procedures. */
export const signInRateLimit = t.middleware(async ({ ctx, next }) => {
  await enforceRateLimit(ctx, 'signIn');
  return next();
});

/** A signed-in user. */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.viewer) {
    const cause = ctx.sessionExpired
      ? new DomainError('SESSION_EXPIRED', 'Your session has expired; sign in again.')
      : new DomainError('UNAUTHORIZED', 'Sign in first.');
    throw new TRPCError({ code: 'UNAUTHORIZED', cause });
  }
  return next({ ctx: { ...ctx, viewer: ctx.viewer } });
});

/** A signed-in user in a browser session: what an API key may never do (manage keys). */
export const sessionProcedure = authedProcedure.use(({ ctx, next }) => {
  if (!ctx.viewer.sessionId) {
    throw new TRPCError({
      code: 'FORBIDDEN',
      cause: new DomainError('FORBIDDEN', 'Sign in with a browser session to do this; API keys cannot.'),
    });
  }
  return next();
});

/** A signed-in artist (admins act as artists too). */
export const artistProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.viewer.role !== 'artist' && ctx.viewer.role !== 'admin') {
    throw new TRPCError({
      code: 'FORBIDDEN',
      cause: new DomainError('ARTIST_ONLY', 'Only artists can do this.'),
    });
  }
  return next();
});

/** A signed-in admin. */
export const adminProcedure = authedProcedure.use(({ ctx, next }) => {
  if (ctx.viewer.role !== 'admin') {
    throw new TRPCError({
      code: 'FORBIDDEN',
      cause: new DomainError('FORBIDDEN', 'Only admins can do this.'),
    });
  }
  return next();
});
