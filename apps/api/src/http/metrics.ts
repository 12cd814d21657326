import express, { type Express, type Request, type RequestHandler } from 'express';
import type { ApiMetrics } from '../platform/metrics';

/** The metrics port's app: `GET /metrics` in Prometheus' text format, nothing else. */
export function metricsApp(metrics: ApiMetrics): Express {
  const app = express();
  app.disable('x-powered-by');
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  return app;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/gi;

/**
 * A route label with few values: tRPC as one route (procedures have their own series), ids as
 * `:id`, presigned storage keys dropped, anything unrouted as one.
 */
function routeOf(req: Request, status: number): string {
  const path = req.originalUrl.split('?')[0] ?? '';
  if (path.startsWith('/trpc')) return '/trpc';
  if (path.startsWith('/api/storage')) return '/api/storage';
  if (status === 404) return 'unmatched';
  return path.replace(UUID, ':id');
}

/** Times every request (served from the page cache or not) by method, route and status. */
export function httpMetrics(metrics: ApiMetrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer({ method: req.method });
    res.on('finish', () => end({ route: routeOf(req, res.statusCode), status: String(res.statusCode) }));
    next();
  };
}
