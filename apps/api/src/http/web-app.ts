import { existsSync } from 'node:fs';
import { join } from 'node:path';
import express, { Router } from 'express';

/** Paths that belong to the API, never to the web app's client-side routes. */
const API_PREFIXES = ['/api/', '/trpc/', '/trpc'];

/**
 * The built web app at `/`. Vite names every asset by its content hash, so those are cached for a
 * year; index.html names the current assets and is revalidated on every load, so a deploy shows
 * at once. Any other GET that is not an API path gets index.html: the app's router draws the page.
 * Null when `distDir` holds no build (the caller says how to make one).
 */
export function webAppRoutes(distDir: string): Router | null {
  const indexHtml = join(distDir, 'index.html');
  if (!existsSync(indexHtml)) return null;
  const routes = Router();
  routes.use(
    '/assets',
    express.static(join(distDir, 'assets'), {
      immutable: true,
      maxAge: '365d',
      index: false,
    }),
  );
  // An asset of an older build is gone: say so rather than answer with the app's HTML.
  routes.use('/assets', (_req, res) => {
    res.status(404).json({ error: { code: 'NOT_FOUND', message: 'No such asset.' } });
  });
  routes.use(
    express.static(distDir, {
      index: false,
      setHeaders: (res) => res.setHeader('cache-control', 'no-cache'),
    }),
  );
  routes.get(/.*/, (req, res, next) => {
    if (API_PREFIXES.some((prefix) => req.path === prefix || req.path.startsWith(prefix))) return next();
    if (!req.accepts('html')) return next();
    res.setHeader('cache-control', 'no-cache');
    res.sendFile(indexHtml);
  });
  return routes;
}
