import { callTRPCProcedure } from '@trpc/server';
import type { Request, RequestHandler, Response } from 'express';
import { appRouter } from '../app-router';
import type { Context } from '../trpc/context';
import { serializeToChunks, transformer } from '../trpc/init';
import { PUBLIC_PAGE_PROCEDURES } from './public-response-cache';

const [OPEN_RESULT, CLOSE_RESULT, OPEN_BATCH, COMMA, CLOSE_BATCH] = [
  '{"result":{"data":',
  '}}',
  '[',
  ',',
  ']',
].map((text) => Buffer.from(text)) as [Buffer, Buffer, Buffer, Buffer, Buffer];

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
    const calls = pageCalls(req.url);
    if (!calls) return next();
    const { paths, batch, inputs } = calls;
    const startedAt = performance.now();
    const passOn = () => {
      // tRPC resolves the session again and sets its own cookie and limit headers.
      for (const header of ['set-cookie', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'])
        res.removeHeader(header);
      next();
    };
    void (async () => {
      req.id = requestId(req, res);
      const ctx = await createContext({ req, res });
      if (!ctx.viewer) return passOn();
      // As tRPC's HTTP adapter calls a procedure (its guards, input schema and all), minus HTTP.
      const results = await Promise.all(
        paths.map((path, i) =>
          callTRPCProcedure({
            router: appRouter,
            path,
            type: 'query',
            ctx,
            getRawInput: () => Promise.resolve(inputs[i]),
            signal: undefined,
            batchIndex: i,
          }),
        ),
      );
      // tRPC's `{"result":{"data":…}}` around each serialized result (in a batch, `[…,…]`), as bytes.
      const chunks: Buffer[] = batch ? [OPEN_BATCH] : [];
      results.forEach((result, i) => {
        if (i > 0) chunks.push(COMMA);
        chunks.push(OPEN_RESULT, ...serializeToChunks(result), CLOSE_RESULT);
      });
      if (batch) chunks.push(CLOSE_BATCH);
      const body = Buffer.concat(chunks);
      res.statusCode = 200;
      res.setHeader('Content-Type', 'application/json');
      res.setHeader('Content-Length', body.byteLength);
      onServed?.(req, res, startedAt);
      res.end(body);
    })().catch(passOn);
  };
}

/** The calls of a members' page URL: procedures, whether batched, each one's input as sent. */
interface PageCalls {
  paths: string[];
  batch: boolean;
  inputs: unknown[];
}

/**
 * Members ask for the same few page URLs over and over: each URL (under /trpc) is parsed once and
 * its calls kept, the last `MAX_PARSED` URLs at most. Null: not a members' page (a procedure that
 * is not one, several calls without `batch=1`, an input that is not JSON: tRPC answers those).
 * The inputs are shared by every request for the URL: procedures get their own copies from
 * their input schema and never change what they were sent.
 */
function pageCalls(url: string): PageCalls | null {
  const known = parsedUrls.get(url);
  if (known !== undefined) return known;
  const at = url.indexOf('?');
  const query = new URLSearchParams(at < 0 ? '' : url.slice(at + 1));
  // One call, or a batch (what the typed client sends) whose calls are all such pages.
  const batch = query.get('batch') === '1';
  const paths = (at < 0 ? url : url.slice(0, at)).slice(1).split(',');
  let calls: PageCalls | null = null;
  if (paths.every((path) => PUBLIC_PAGE_PROCEDURES.has(path)) && (batch || paths.length === 1)) {
    try {
      const input = query.get('input');
      const sent = input === null ? undefined : (JSON.parse(input) as unknown);
      const raw = batch ? paths.map((_, i) => (sent as Record<number, unknown> | undefined)?.[i]) : [sent];
      calls = {
        paths,
        batch,
        inputs: raw.map((value) => (value === undefined ? undefined : transformer.deserialize(value))),
      };
    } catch {
      // Not JSON (or not superjson's): tRPC answers it with its own error.
    }
  }
  parsedUrls.set(url, calls);
  if (parsedUrls.size > MAX_PARSED) parsedUrls.delete(parsedUrls.keys().next().value!);
  return calls;
}

const MAX_PARSED = 1_000;
const parsedUrls = new Map<string, PageCalls | null>();
