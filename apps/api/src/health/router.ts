import { publicProcedure } from '../trpc/init';

/** Liveness through tRPC: the process is up and answering (`GET /trpc/health`). */
export const healthProcedure = publicProcedure.query(({ ctx }) => ({
  status: 'ok' as const,
  mode: ctx.deps.config.MODE,
  uptimeSeconds: Math.round((Date.now() - ctx.deps.startedAt.getTime()) / 1000),
}));
