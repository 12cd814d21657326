// Defects found by trying the product as an attacker, each through the real HTTP API.
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/env';
import { startTestApi, type TestApi } from './harness';
import { Browser } from './http-client';

const started: TestApi[] = [];
async function apiWith(overrides: Record<string, string> = {}) {
  const api = await startTestApi(overrides);
  started.push(api);
  return api;
}
afterAll(() => Promise.all(started.map((api) => api.stop())));

async function devSignIns(api: TestApi, forwardedFor: (n: number) => string | undefined) {
  const statuses: number[] = [];
  for (let n = 0; n < 8; n++) {
    const spoofed = forwardedFor(n);
    const signIn = await new Browser(api.url).mutate(
      'auth.devSignIn',
      { username: `spoofer_${n}_${Math.random().toString(36).slice(2, 6)}` },
      spoofed ? { 'x-forwarded-for': spoofed } : {},
    );
    statuses.push(signIn.status);
  }
  return statuses;
}

describe('per-IP limits and proxies', () => {
  it('trusts no X-Forwarded-For by default: eight spoofed addresses share one 5-per-5-minutes limit', async () => {
    const api = await apiWith({ RATE_LIMIT_SIGN_IN: '5/300' });
    expect(await devSignIns(api, (n) => `203.0.113.${n + 1}`)).toEqual([
      ...Array(5).fill(200),
      ...Array(3).fill(429),
    ]);
  });

  it('believes the proxies TRUST_PROXY names (a hop count or CIDRs), and only them', async () => {
    const byHops = await apiWith({ RATE_LIMIT_SIGN_IN: '5/300', TRUST_PROXY: '1' });
    expect(await devSignIns(byHops, (n) => `203.0.113.${n + 1}`)).toEqual(Array(8).fill(200));
    const byRange = await apiWith({ RATE_LIMIT_SIGN_IN: '5/300', TRUST_PROXY: '127.0.0.0/8,::1' });
    expect(await devSignIns(byRange, (n) => `198.51.100.7, 203.0.113.${n + 1}`)).toEqual(Array(8).fill(200));
    const elsewhere = await apiWith({ RATE_LIMIT_SIGN_IN: '5/300', TRUST_PROXY: '10.0.0.0/8' });
    expect(await devSignIns(elsewhere, (n) => `203.0.113.${n + 1}`)).toEqual([
      ...Array(5).fill(200),
      ...Array(3).fill(429),
    ]);
  });

  it('refuses a TRUST_PROXY that is neither a hop count nor addresses', async () => {
    expect(() => loadConfig({ MODE: 'embedded', TRUST_PROXY: 'everyone' })).toThrow(/TRUST_PROXY/);
    expect(() => loadConfig({ MODE: 'embedded', TRUST_PROXY: '10.0.0.0/33' })).toThrow(/TRUST_PROXY/);
  });
});

describe('body limits on /trpc', () => {
  const huge = (bytes: number) => JSON.stringify({ json: { username: 'x'.repeat(bytes) } });
  const post = (api: TestApi, path: string, body: RequestInit['body'], headers: Record<string, string> = {}) =>
    fetch(`${api.url}/trpc/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:3000', ...headers },
      body,
      duplex: 'half',
    } as RequestInit);

  it('answers 413 PAYLOAD_TOO_LARGE to an anonymous 8 MB body, declared or streamed', async () => {
    const api = await apiWith({ RATE_LIMIT_SIGN_IN: '10000/60', RATE_LIMIT_ANONYMOUS: '10000/60' });
    const declared = await post(api, 'auth.devSignIn', huge(8 * 1024 * 1024));
    expect(declared.status).toBe(413);
    expect(((await declared.json()) as { error: { json: { data: unknown } } }).error.json.data).toMatchObject(
      {
        code: 'PAYLOAD_TOO_LARGE',
        httpStatus: 413,
      },
    );
    const chunk = new TextEncoder().encode('x'.repeat(64 * 1024));
    let sent = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (sent === 0) controller.enqueue(new TextEncoder().encode('{"json":{"username":"'));
        if (sent >= 8 * 1024 * 1024) return controller.close();
        sent += chunk.length;
        controller.enqueue(chunk);
      },
    });
    const streamed = await post(api, 'auth.devSignIn', stream);
    expect(streamed.status).toBe(413);
    expect(
      ((await streamed.json()) as { error: { json: { data: { code: string } } } }).error.json.data.code,
    ).toBe('PAYLOAD_TOO_LARGE');
    // Bodies within the limit still work: the server is fine afterwards.
    expect(
      (await post(api, 'auth.devSignIn', JSON.stringify({ json: { username: 'after_flood' } }))).status,
    ).toBe(200);
  });

  it('lets the artist upgrade carry its 3 MB signature', async () => {
    const api = await apiWith();
    const signature = JSON.stringify({ json: { artistName: 'Big', signaturePng: 'A'.repeat(2_900_000) } });
    const response = await post(api, 'users.upgradeToArtist', signature);
    expect(response.status).toBe(401); // read in full and refused for want of a session, not for size
  });
});
