import type { Request, RequestHandler, Response } from 'express';
import type { RateLimitDecision } from '../platform/rate-limits';

/** The tRPC procedures whose anonymous answer is the same for every visitor. */
export const PUBLIC_PAGE_PROCEDURES: ReadonlySet<string> = new Set([
  'styles.list',
  'generations.feed',
  'search.query',
]);

export interface PublicResponseCacheOptions {
  /** How long a page is served as it was read (0 turns the cache off). */
  ttlMs: number;
  /** Cookies that make a caller someone (their pages carry `isLiked`, their own drafts). */
  identityCookie: string;
  /**
   * The per-client limit a served page still counts against, as the procedure itself would
   * (pages built by tRPC count there, not here). `null`: the limit store is unavailable.
   */
  consume: (ip: string, calls: number) => Promise<RateLimitDecision | null>;
  setRateLimitHeaders: (res: Response, decision: RateLimitDecision) => void;
  /**
   * Called for every page served from the cache (request id, access log): the cache runs ahead of
   * the request logger, so a hit costs no more than it must.
   */
  onServed?: (req: Request, res: Response, startedAt: number) => void;
  maxEntries?: number;
}

interface Entry {
  body: Buffer;
  contentType: string;
  storedAt: number;
}

/** Marks a request that rebuilds a cached page, so the read cache below reads the database afresh. */
export function isPageRefill(res: Response): boolean {
  return res.locals.publicPageRefill === true;
}

/**
 * Anonymous catalogue, feed and search pages kept as the bytes sent, for `ttlMs`: an HTTP
 * micro-cache in front of tRPC (what a CDN in front of the API would do, per instance). A page is
 * keyed by its URL (procedures and input); it is built by tRPC like any other answer, once per TTL:
 * - only GET calls of PUBLIC_PAGE_PROCEDURES (a batch qualifies only when all its calls do), only
 *   without the identity cookie or an Authorization header, only 200 answers without Set-Cookie;
 * - the first request after a page expires rebuilds it; requests arriving meanwhile get the
 *   expiring copy (at most `ttlMs` past its time) instead of queueing behind the database
 *   (stale-while-revalidate), and a page nobody has yet waits for its one build;
 * - served pages count against the caller's anonymous rate limit and carry its headers.
 * Responses say `X-Cache: HIT | MISS` and the page's `Age` in seconds.
 */
export function publicResponseCache(options: PublicResponseCacheOptions): RequestHandler {
  const { ttlMs, identityCookie, consume, setRateLimitHeaders, onServed, maxEntries = 2_000 } = options;
  const entries = new Map<string, Entry>();
  /** Pages one request is building now; others get the expiring copy or wait for it. */
  const builds = new Map<string, Promise<void>>();
  const cookiePattern = new RegExp(`(?:^|;)\\s*${identityCookie.replace(/[^\w-]/g, '\\$&')}=`);

  const remember = (key: string, entry: Entry): void => {
    entries.delete(key);
    entries.set(key, entry);
    while (entries.size > maxEntries) entries.delete(entries.keys().next().value!);
  };

  /** Lets tRPC answer and keeps a copy of a cacheable answer; resolves when the response is done. */
  const build = (key: string, res: Response, proceed: () => void): Promise<void> => {
    const chunks: Buffer[] = [];
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => Response;
    const keep = (chunk: unknown, encoding: unknown) => {
      if (typeof chunk === 'string')
        chunks.push(Buffer.from(chunk, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8'));
      else if (chunk instanceof Uint8Array)
        chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength));
    };
    res.write = ((chunk: unknown, ...rest: unknown[]) => (
      keep(chunk, rest[0]),
      write(chunk, ...rest)
    )) as Response['write'];
    res.end = ((...args: unknown[]) => {
      if (args[0] !== undefined && typeof args[0] !== 'function') keep(args[0], args[1]);
      return end(...args);
    }) as Response['end'];
    res.locals.publicPageRefill = true;
    res.setHeader('X-Cache', 'MISS');
    const done = new Promise<void>((resolve) => {
      res.once('close', () => {
        const contentType = res.getHeader('content-type');
        if (
          res.statusCode === 200 &&
          res.writableFinished &&
          !res.hasHeader('set-cookie') &&
          typeof contentType === 'string'
        ) {
          remember(key, { body: Buffer.concat(chunks), contentType, storedAt: Date.now() });
        }
        resolve();
      });
    });
    proceed();
    return done;
  };

  return (req, res, next) => {
    if (ttlMs <= 0 || req.method !== 'GET') return next();
    if (req.headers.authorization || (req.headers.cookie && cookiePattern.test(req.headers.cookie)))
      return next();
    const procedures = req.path.slice(1).split(',');
    if (!procedures.every((name) => PUBLIC_PAGE_PROCEDURES.has(name))) return next();
    const key = req.url;

    const startedAt = performance.now();
    const serve = async (entry: Entry): Promise<void> => {
      const decision = await consume(req.ip ?? 'unknown', procedures.length);
      if (decision) {
        setRateLimitHeaders(res, decision);
        // Over the limit: tRPC answers with the SPEC error (and counts nothing more that matters).
        if (!decision.allowed) return next();
      }
      res.setHeader('X-Cache', 'HIT');
      res.setHeader('Age', String(Math.floor((Date.now() - entry.storedAt) / 1000)));
      res.setHeader('Content-Type', entry.contentType);
      res.setHeader('Content-Length', entry.body.byteLength);
      res.statusCode = 200;
      onServed?.(req, res, startedAt);
      res.end(entry.body);
    };

    const entry = entries.get(key);
    const age = entry ? Date.now() - entry.storedAt : Infinity;
    if (entry && age < ttlMs) return void serve(entry).catch(next);
    const building = builds.get(key);
    if (building) {
      // Being rebuilt: the expiring copy meanwhile, else wait for the build and serve it (or build
      // it ourselves if that failed).
      if (entry && age < 2 * ttlMs) return void serve(entry).catch(next);
      return void building
        .then(() => {
          const built = entries.get(key);
          if (built && Date.now() - built.storedAt < ttlMs) return serve(built);
          return void build(key, res, next);
        })
        .catch(next);
    }
    if (entry && age >= 2 * ttlMs) entries.delete(key);
    builds.set(
      key,
      build(key, res, next).finally(() => builds.delete(key)),
    );
  };
}
