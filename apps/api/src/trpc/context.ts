import type { Request, Response } from 'express';
import type { Role } from '@stylelicense/db';
import type { AppDeps } from '../deps';
import type { Logger } from '../logger';

/** The signed-in caller, if any. */
export interface Viewer {
  userId: string;
  role: Role;
  sessionId: string;
}

export interface Context {
  deps: AppDeps;
  log: Logger;
  requestId: string;
  ip: string;
  viewer: Viewer | null;
  /** Absent when called in-process (createCaller). */
  req?: Request;
  res?: Response;
}

export type ViewerResolver = (req: Request, res: Response) => Promise<Viewer | null>;

export function createContextFactory(deps: AppDeps, resolveViewer: ViewerResolver) {
  return async ({ req, res }: { req: Request; res: Response }): Promise<Context> => ({
    deps,
    log: req.log ?? deps.log,
    requestId: String(req.id ?? ''),
    ip: req.ip ?? req.socket.remoteAddress ?? 'unknown',
    viewer: await resolveViewer(req, res),
    req,
    res,
  });
}
