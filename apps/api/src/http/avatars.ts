import { storageKeys } from '@stylelicense/storage';
import { Router } from 'express';
import type { AppDeps } from '../deps';
import { AVATAR_ROUTE } from '../identity/pictures';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** Profile pictures people uploaded, public like any avatar; the URL changes with each upload. */
export function avatarRoutes({ storage }: Pick<AppDeps, 'storage'>): Router {
  const routes = Router();
  routes.get(AVATAR_ROUTE, async (req, res) => {
    const { userId } = req.params;
    const bytes = UUID.test(userId) ? await storage.get(storageKeys.avatar(userId)).catch(() => null) : null;
    if (!bytes) {
      res.status(404).json({ error: { code: 'NOT_FOUND', httpStatus: 404, message: 'No such picture.' } });
      return;
    }
    res
      .type('image/webp')
      .set('Cache-Control', 'public, max-age=31536000, immutable')
      .set('X-Content-Type-Options', 'nosniff')
      .send(Buffer.from(bytes));
  });
  return routes;
}
