import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createExpressMiddleware } from '@trpc/server/adapters/express';
import { createFilesystemStorageHandler, FilesystemStorage } from '@stylelicense/storage';
import express, { type ErrorRequestHandler, type Express, type Request, type Response } from 'express';
import { pinoHttp } from 'pino-http';
import type { AppDeps } from '../deps';
import { appRouter } from '../app-router';
import { checkReadiness } from '../platform/health';
import { STORAGE_ROUTE } from '../platform/storage';
import { TRPC_MAX_BODY, trpcBodyLimit } from './body-limit';
import { csrfProtection } from './csrf';
import { googleAuthRoutes } from './google-auth';
import { paymentRoutes } from './payments';
import { avatarRoutes } from './avatars';
import { provenanceRoutes, VERIFY_ROUTE } from './provenance';
import { memberPages } from './member-pages';
import { publicResponseCache } from './public-response-cache';
import { consume } from '../platform/rate-limits';
import { setRateLimitHeaders } from './rate-limit';
import { sessionCookieName, type ViewerResolver } from './session-cookie';
import { createContextFactory } from './trpc-context';
import { webAppRoutes } from './web-app';
import { restV1Routes } from './rest-v1';
import { httpMetrics } from './metrics';
import { toApiError } from '../trpc/errors';

export interface AppOptions {
  resolveViewer: ViewerResolver;
  /** Who is calling on members' catalogue, feed and search pages (default: resolveViewer). */
  resolvePageViewer?: ViewerResolver;
  /** Extra Express routers (webhooks, OAuth redirects, uploads) mounted before tRPC. */
  mount?: (app: Express) => void;
}

/** The caller's X-Request-Id when it is sane, else a fresh one; echoed on the response. */
function requestIdFor(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  const id = typeof incoming === 'string' && /^[\w.-]{1,128}$/.test(incoming) ? incoming : randomUUID();
  res.setHeader('x-request-id', id);
  return id;
}

/** Query parameters that are credentials: a presigned storage URL's token is good for an hour. */
const SECRET_PARAMS = /([?&](?:token|code|state|X-Amz-Signature|X-Amz-Credential)=)[^&#]*/gi;

/** The request as logged: the URL with every credential in its query redacted, no parsed query. */
function withoutUrlSecrets<T extends { url?: string; query?: unknown }>(req: T): T {
  return { ...req, url: req.url?.replace(SECRET_PARAMS, '$1[redacted]'), query: undefined };
}

export function createApp(deps: AppDeps, { resolveViewer, resolvePageViewer, mount }: AppOptions): Express {
  const app = express();
  app.disable('x-powered-by');
  // req.ip is the TCP peer unless TRUST_PROXY names the proxies in front (per-IP limits key on it).
  app.set('trust proxy', deps.config.TRUST_PROXY);
  app.use(httpMetrics(deps.metrics));
  /** The access-log line of a page answered ahead of the request logger. */
  const logServed =
    (cache: 'HIT' | 'MEMBER') =>
    (req: Request, res: Response, startedAt: number): void => {
      req.id ??= requestIdFor(req, res);
      deps.log.info(
        {
          reqId: req.id,
          req: { method: req.method, url: req.originalUrl },
          res: { statusCode: res.statusCode },
          responseTime: Math.round(performance.now() - startedAt),
          cache,
        },
        'request completed',
      );
    };
  // Anonymous catalogue, feed and search pages: served as sent for PUBLIC_CACHE_SECONDS, ahead of
  // the request logger (a served page logs its own one line).
  app.use(
    '/trpc',
    publicResponseCache({
      ttlMs: deps.config.PUBLIC_CACHE_SECONDS * 1000,
      identityCookie: sessionCookieName(deps.config),
      consume: async (ip, calls) => {
        let decision = null;
        for (let i = 0; i < calls; i++) {
          decision = await consume(
            deps.rateLimits,
            'anonymous',
            `ip:${ip}`,
            deps.config.RATE_LIMIT_ANONYMOUS,
            (error) => deps.log.warn({ err: error }, 'rate-limit store unavailable'),
          );
        }
        return decision;
      },
      setRateLimitHeaders,
      onServed: logServed('HIT'),
    }),
  );
  // Members' pages of the same procedures: the shared page plus their own part, called in-process.
  const createContext = createContextFactory(deps, resolveViewer);
  app.use(
    '/trpc',
    memberPages({
      identityCookie: sessionCookieName(deps.config),
      createContext: resolvePageViewer ? createContextFactory(deps, resolvePageViewer) : createContext,
      requestId: requestIdFor,
      onServed: logServed('MEMBER'),
    }),
  );
  app.use(
    pinoHttp({
      logger: deps.log,
      genReqId: requestIdFor,
      wrapSerializers: true,
      serializers: { req: withoutUrlSecrets },
      autoLogging: { ignore: (req) => req.url === '/api/health' },
    }),
  );

  app.get('/api/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/api/ready', async (_req, res) => {
    const readiness = await checkReadiness(deps.probes);
    // Probe details name drivers, hosts and errors: only where HEALTH_DETAILS allows.
    res
      .status(readiness.status === 'ready' ? 200 : 503)
      .json(deps.config.HEALTH_DETAILS ? readiness : { status: readiness.status });
  });

  // State-changing requests must come from our own pages; webhooks and presigned URLs carry their own proof.
  app.use(
    csrfProtection({
      trustedOrigins: [deps.config.WEB_ORIGIN, deps.config.PUBLIC_URL],
      // Verifying changes nothing and is meant for any site or tool.
      exemptPrefixes: ['/api/webhooks/', STORAGE_ROUTE, VERIFY_ROUTE],
    }),
  );
  app.use(googleAuthRoutes(deps, deps.rateLimits));
  app.use(paymentRoutes(deps));
  app.use(provenanceRoutes(deps));
  app.use(avatarRoutes(deps));

  // The filesystem driver's presigned GET/PUT URLs land here (S3 serves its own).
  if (deps.storage instanceof FilesystemStorage)
    app.use(STORAGE_ROUTE, createFilesystemStorageHandler(deps.storage));

  mount?.(app);

  // Same-origin API (no CORS): a preflight learns the methods and nothing more.
  app.options('/trpc/{*procedures}', (_req, res) => {
    res.set('allow', 'GET, POST').status(204).end();
  });
  const rest = restV1Routes(deps, createContext);
  app.use('/api/v1', rest.api);
  app.use('/api/docs', rest.docs);
  app.use(
    '/trpc',
    trpcBodyLimit(),
    createExpressMiddleware({
      router: appRouter,
      createContext,
      maxBatchSize: 20,
      maxBodySize: TRPC_MAX_BODY,
    }),
  );

  // embedded and production serve the web app themselves; development runs Vite in front of the API.
  if (deps.config.MODE === 'embedded' || deps.config.MODE === 'production') {
    const webApp = webAppRoutes(deps.config.WEB_DIST_DIR);
    if (webApp) app.use(webApp);
    else
      deps.log.warn(
        { webDistDir: deps.config.WEB_DIST_DIR },
        'no web app build found: run `pnpm --filter @stylelicense/web build` (or set WEB_DIST_DIR)',
      );
  }

  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such route.' } });
  });
  const onError: ErrorRequestHandler = (error, req, res, _next) => {
    const body = toApiError(error);
    if (body.httpStatus >= 500) req.log.error({ err: error }, 'unhandled error');
    res.status(body.httpStatus).json({ error: body });
  };
  app.use(onError);
  return app;
}
