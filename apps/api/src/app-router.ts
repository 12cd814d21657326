import { router } from './trpc/init';
import { commentsRouter } from './community/comments.router';
import { followsRouter } from './community/follows.router';
import { likesRouter } from './community/likes.router';
import { generationsRouter } from './generations/router';
import { authRouter } from './identity/auth.router';
import { healthProcedure } from './health/router';
import { tokensRouter } from './tokens/router';
import { usersRouter } from './identity/users.router';
import { notificationsRouter } from './notifications/router';
import { searchRouter } from './search/router';
import { apiKeysRouter } from './apikeys/router';
import { stylesRouter } from './styles/router';
import { moderationRouter } from './moderation/router';
import { reportsRouter } from './moderation/reports.router';
import { provenanceRouter } from './provenance/router';

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
  reports: reportsRouter,
  moderation: moderationRouter,
  provenance: provenanceRouter,
  apiKeys: apiKeysRouter,
});

export type AppRouter = typeof appRouter;
