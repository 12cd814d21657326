import { router } from '../trpc/init';
import { commentsRouter, followsRouter, likesRouter } from './community';
import { generationsRouter } from './generations';
import { authRouter } from './auth';
import { healthProcedure } from './health';
import { tokensRouter } from './tokens';
import { usersRouter } from './users';
import { notificationsRouter } from './notifications';
import { searchRouter } from './search';
import { stylesRouter } from './styles';

/** Every domain's router, one line each. */
export const appRouter = router({
  health: healthProcedure,
  auth: authRouter,
  users: usersRouter,
  tokens: tokensRouter,
  styles: stylesRouter,
  generations: generationsRouter,
  follows: followsRouter,
  likes: likesRouter,
  comments: commentsRouter,
  notifications: notificationsRouter,
  search: searchRouter,
});

export type AppRouter = typeof appRouter;
