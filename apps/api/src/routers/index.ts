import { router } from '../trpc/init';
import { healthProcedure } from './health';

/** Every domain's router, one line each. */
export const appRouter = router({
  health: healthProcedure,
});

export type AppRouter = typeof appRouter;
