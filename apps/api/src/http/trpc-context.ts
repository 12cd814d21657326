import { DomainError } from '@stylelicense/contracts';
import type { Request, Response } from 'express';
import { authenticateApiKey } from '../apikeys/apikeys';
import type { AppDeps } from '../deps';
import type { Context, Viewer } from '../trpc/context';
import { isPageRefill } from './public-response-cache';
import { sessionCookieOf, sessionExpired, type ViewerResolver } from './session-cookie';

/** The key of `Authorization: Bearer <key>`, if the request carries one. */
export function bearerTokenOf(req: Request): string | undefined {
  const header = req.headers.authorization;
  return header?.startsWith('Bearer ') ? header.slice('Bearer '.length).trim() : undefined;
}

/**
 * Who is calling: an API key when the request presents one (its cookies are then ignored), else
 * the browser session. A refused key is kept on the context, so every procedure answers with its code.
 */
async function identify(
  deps: AppDeps,
  resolveViewer: ViewerResolver,
  req: Request,
  res: Response,
): Promise<{ viewer: Viewer | null; apiKeyRefused?: DomainError }> {
  const token = bearerTokenOf(req);
  if (token === undefined) return { viewer: await resolveViewer(req, res) };
  try {
    return { viewer: await authenticateApiKey(deps.db, token) };
  } catch (error) {
    if (error instanceof DomainError) return { viewer: null, apiKeyRefused: error };
    throw error;
  }
}

/** Builds each call's context from its HTTP exchange (tRPC and REST v1 alike). */
export function createContextFactory(deps: AppDeps, resolveViewer: ViewerResolver) {
  return async ({ req, res }: { req: Request; res: Response }): Promise<Context> => {
    const { viewer, apiKeyRefused } = await identify(deps, resolveViewer, req, res);
    return {
      deps,
      log: req.log ?? deps.log,
      requestId: typeof req.id === 'string' || typeof req.id === 'number' ? String(req.id) : '',
      ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
      viewer,
      ...(apiKeyRefused ? { apiKeyRefused } : {}),
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
