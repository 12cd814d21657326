import type { Request, Response } from 'express';
import type { AppDeps } from '../deps';
import type { Context } from '../trpc/context';
import { isPageRefill } from './public-response-cache';
import { sessionCookieOf, sessionExpired, type ViewerResolver } from './session-cookie';

/** Builds each tRPC call's context from its HTTP exchange. */
export function createContextFactory(deps: AppDeps, resolveViewer: ViewerResolver) {
  return async ({ req, res }: { req: Request; res: Response }): Promise<Context> => {
    const viewer = await resolveViewer(req, res);
    return {
      deps,
      log: req.log ?? deps.log,
      requestId: typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : '',
      ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
      viewer,
      userAgent: req.headers['user-agent'],
      sessionCookie: sessionCookieOf(res, deps.config),
      sessionExpired: sessionExpired(res),
      pageRefill: isPageRefill(res),
      setHeaders: (headers) => {
        if (!res.headersSent) res.set(headers);
      },
    };
  };
}
