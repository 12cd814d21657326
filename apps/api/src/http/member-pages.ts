import type { Request, RequestHandler, Response } from 'express';
import { appRouter } from '../app-router';
import type { Context } from '../trpc/context';
import { createCallerFactory, serializeToText, transformer } from '../trpc/init';
import { PUBLIC_PAGE_PROCEDURES } from './public-response-cache';

const createCaller = createCallerFactory(appRouter);
type Caller = ReturnType<typeof createCaller>;

/** The procedure at `path` ("styles.list") of a caller. */
function procedureAt(caller: Caller, path: string): (input: unknown) => Promise<unknown> {
  const [space, name] = path.split('.') as [string, string];
  return (caller as unknown as Record<string, Record<string, (input: unknown) => Promise<unknown>>>)[space]![
    name
  ]!;
}

export interface MemberPagesOptions {
  /** The session cookie's name: only its holders come this way. */
  identityCookie: string;
  createContext: (exchange: { req: Request; res: Response }) => Promise<Context>;
  /** The request's id (echoed on the response), given before the context is built so logs carry it. */
  requestId: (req: Request, res: Response) => string;
  /** Called for every page answered here (request id, access log): this runs ahead of the request logger. */
  onServed?: (req: Request, res: Response, startedAt: number) => void;
}

/**
 * A signed-in member's catalogue, feed and search pages (GET calls of PUBLIC_PAGE_PROCEDURES with
 * the session cookie, alone or batched): the procedure itself is called in-process, with the same context, guard,
 * limit, input schema and result as through tRPC's HTTP adapter, and its result (the shared page
 * plus the member's part, see publicRead) is sent as tRPC would send it, without the adapter's
 * per-request Fetch Request, AbortController and streams, or the request logger. Anything else (a
 * batch with other calls, an API key, no valid session, any error) goes on to tRPC, which answers it; a call that
 * failed here runs once more there, so its error is tRPC's own.
 */
export function memberPages({
  identityCookie,
  createContext,
  requestId,
  onServed,
}: MemberPagesOptions): RequestHandler {
  const cookiePattern = new RegExp(`(?:^|;)\\s*${identityCookie.replace(/[^\w-]/g, '\\$&')}=`);
  return (req, res, next) => {
    if (req.method !== 'GET' || req.headers.authorization) return next();
    if (!req.headers.cookie || !cookiePattern.test(req.headers.cookie)) return next();
    // One call, or a batch (what the typed client sends) whose calls are all such pages.
    const batch = req.query.batch === '1';
    const paths = req.path.slice(1).split(',');
    if (!paths.every((path) => PUBLIC_PAGE_PROCEDURES.has(path)) || (!batch && paths.length > 1))
      return next();
    const startedAt = performance.now();
    const passOn = () => {
      // tRPC resolves the session again and sets its own cookie and limit headers.
      for (const header of ['set-cookie', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'])
        res.removeHeader(header);
      next();
    };
    void (async () => {
      const sent = typeof req.query.input === 'string' ? (JSON.parse(req.query.input) as unknown) : undefined;
      const raw = batch ? paths.map((_, i) => (sent as Record<number, unknown> | undefined)?.[i]) : [sent];
      const inputs = raw.map((input) => (input === undefined ? undefined : transformer.deserialize(input)));
      req.id = requestId(req, res);
      const ctx = await createContext({ req, res });
      if (!ctx.viewer) return passOn();
      const caller = createCaller(ctx);
      const results = await Promise.all(paths.map((path, i) => procedureAt(caller, path)(inputs[i])));
      // tRPC's `{"result":{"data":…}}` around each serialized result, written out as text.
      const answers = results.map((result) => `{"result":{"data":${serializeToText(result)}}}`);
      const body = batch ? `[${answers.join(',')}]` : answers[0]!;
      res.statusCode = 200;
      res.setHeader('Content-Type', 'application/json');
      onServed?.(req, res, startedAt);
      res.end(body);
    })().catch(passOn);
  };
}
