import { router } from '../trpc/init';
import { commentsRouter, followsRouter, likesRouter } from './community';
import { generationsRouter } from './generations';
import { healthProcedure } from './health';
import { notificationsRouter } from './notifications';

/** Every domain's router, one line each. */
export const appRouter = router({
  health: healthProcedure,
  generations: generationsRouter,
  follows: followsRouter,
  likes: likesRouter,
  comments: commentsRouter,
  notifications: notificationsRouter,
});

export type AppRouter = typeof appRouter;
