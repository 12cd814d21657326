import { publicProcedure } from '../trpc/init';

/**
 * Liveness through tRPC: the process is up and answering (`GET /trpc/health`). Mode and uptime
 * only for admins or where HEALTH_DETAILS allows.
 */
export const healthProcedure = publicProcedure.query(({ ctx }) =>
  ctx.deps.config.HEALTH_DETAILS || ctx.viewer?.role === 'admin'
    ? {
        status: 'ok' as const,
        mode: ctx.deps.config.MODE,
        uptimeSeconds: Math.round((Date.now() - ctx.deps.startedAt.getTime()) / 1000),
      }
    : { status: 'ok' as const },
);
