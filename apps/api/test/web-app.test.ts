import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';

// The API serves a web app build (embedded and production mode): assets by hash, index.html fresh.
describe('the web app served by the API', () => {
  const dist = mkdtempSync(join(tmpdir(), 'web-dist-'));
  let api: TestApi;
  beforeAll(async () => {
    mkdirSync(join(dist, 'assets'));
    writeFileSync(
      join(dist, 'index.html'),
      '<!doctype html><title>Style License</title><div id="root"></div>',
    );
    writeFileSync(join(dist, 'assets', 'index-AbC123.js'), 'console.log("app")');
    writeFileSync(join(dist, 'favicon.svg'), '<svg xmlns="http://www.w3.org/2000/svg"/>');
    api = await startTestApi({ MODE: 'embedded', WEB_DIST_DIR: dist });
  });
  afterAll(async () => {
    await api?.stop();
    rmSync(dist, { recursive: true, force: true });
  });

  it('serves index.html at / and on client-side routes, never cached', async () => {
    for (const path of ['/', '/styles/5b0d7c1e-0000-4000-8000-000000000000', '/tokens?purchase=paid']) {
      const res = await fetch(`${api.url}${path}`, { headers: { accept: 'text/html' } });
      expect(res.status, path).toBe(200);
      expect(res.headers.get('cache-control'), path).toBe('no-cache');
      expect(await res.text(), path).toContain('<div id="root">');
    }
  });

  it('serves hashed assets as immutable for a year, and a missing asset as 404', async () => {
    const res = await fetch(`${api.url}/assets/index-AbC123.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('public, max-age=31536000, immutable');
    expect(await res.text()).toBe('console.log("app")');
    expect((await fetch(`${api.url}/assets/gone-123.js`)).status).toBe(404);
    const icon = await fetch(`${api.url}/favicon.svg`);
    expect(icon.status).toBe(200);
    expect(icon.headers.get('cache-control')).toBe('no-cache');
  });

  it('leaves API paths to the API', async () => {
    const unknown = await fetch(`${api.url}/api/nothing-here`, { headers: { accept: 'text/html' } });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'NOT_FOUND' } });
    const health = await fetch(`${api.url}/trpc/health`);
    expect(health.status).toBe(200);
  });

  it('tells a signed-out visitor who is signed in (nobody) and how to sign in', async () => {
    const res = await fetch(`${api.url}/trpc/auth.session`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { data: { json: unknown } } };
    expect(body.result.data.json).toEqual({ user: null, methods: { google: false, devSignIn: true } });
  });
});
