import { Validator } from '@seriousme/openapi-schema-validator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../src/apikeys/apikeys';
import { REST_V1_ROUTES } from '../src/http/rest-routes';
import { startTestApi, type TestApi } from './harness';
import { Browser } from './http-client';
import { seedMarket } from './pipeline-fixtures';
import type { TestUser } from './marketplace';

let api: TestApi;
beforeAll(async () => {
  // A small per-caller limit, so "over its rate limit" is reached in a few calls.
  api = await startTestApi({ RATE_LIMIT_USER: '6/60', RATE_LIMIT_GENERATION: '100/60' });
});
afterAll(() => api?.stop());

async function rest(
  path: string,
  init: { key?: string; method?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const response = await fetch(`${api.url}/api/v1${path}`, {
    method: init.method ?? 'GET',
    headers: {
      ...(init.key ? { authorization: `Bearer ${init.key}` } : {}),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...init.headers,
    },
    ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
  });
  return {
    status: response.status,
    headers: response.headers,
    body: (await response.json()) as Record<string, unknown> & { error?: { code: string } },
  };
}

const keyFor = async (user: TestUser, scopes: Array<'read' | 'generate'>, expiresAt?: Date) =>
  (
    await createApiKey(api.runtime.deps, user.viewer, {
      name: 'test',
      scopes,
      ...(expiresAt ? { expiresAt } : {}),
    })
  ).key;

describe('API keys', () => {
  it('a signed-in user creates a key shown once, lists it by prefix, and the key works on tRPC without cookies or Origin', async () => {
    const browser = new Browser(api.url);
    expect((await browser.mutate('auth.devSignIn', { username: 'key_maker' })).status).toBe(200);
    const created = await browser.mutate<{ key: string; apiKey: { id: string; prefix: string } }>(
      'apiKeys.create',
      {
        name: 'my script',
        scopes: ['read', 'generate'],
      },
    );
    expect(created.status).toBe(200);
    const { key, apiKey } = created.data!;
    expect(key.startsWith(`${apiKey.prefix}_`)).toBe(true);
    const listed = await browser.query<Array<Record<string, unknown>>>('apiKeys.list');
    expect(listed.data).toHaveLength(1);
    expect(JSON.stringify(listed.data)).not.toContain(key.slice(apiKey.prefix.length + 1));

    // A program: no cookie jar, no Origin.
    const program = new Browser(api.url, null);
    const me = await program.query<{ username: string }>('auth.me', undefined, {
      authorization: `Bearer ${key}`,
    });
    expect(me.data?.username).toBe('key_maker');
    const marked = await program.mutate('notifications.markAllRead', undefined, {
      authorization: `Bearer ${key}`,
    });
    expect(marked.status).toBe(200);
    // A key cannot mint keys.
    const minted = await program.mutate(
      'apiKeys.create',
      { name: 'x', scopes: ['read'] },
      { authorization: `Bearer ${key}` },
    );
    expect(minted.error?.data.code).toBe('FORBIDDEN');

    expect((await browser.mutate('apiKeys.revoke', { apiKeyId: apiKey.id })).status).toBe(200);
    const after = await program.query('auth.me', undefined, { authorization: `Bearer ${key}` });
    expect(after.error?.data.code).toBe('API_KEY_REVOKED');
    const lastUsed = await api.runtime.deps.db.apiKey.findUniqueOrThrow({ where: { id: apiKey.id } });
    expect(lastUsed.lastUsedAt).not.toBeNull();
  });

  it('refuses unknown, revoked and expired keys, and a read key on a write, with their codes', async () => {
    const { customer, style } = await seedMarket(api);
    expect(
      (await rest('/me', { key: 'sl_0000000000000000_nottherightsecretnottherightsecr' })).body.error?.code,
    ).toBe('API_KEY_INVALID');
    expect((await rest('/me', { key: 'garbage' })).status).toBe(401);

    const expired = await keyFor(customer, ['read']);
    await api.runtime.deps.db.apiKey.updateMany({
      where: { userId: customer.id },
      data: { expiresAt: new Date(Date.now() - 1000) },
    });
    const refusedExpired = await rest('/me', { key: expired });
    expect(refusedExpired.status).toBe(401);
    expect(refusedExpired.body.error?.code).toBe('API_KEY_EXPIRED');
    // Even public routes refuse a bad key rather than treat the caller as anonymous.
    expect((await rest('/styles', { key: expired })).body.error?.code).toBe('API_KEY_EXPIRED');

    const reader = await keyFor(customer, ['read']);
    expect((await rest('/tokens/balance', { key: reader })).body).toEqual({
      tokenBalance: 100,
      earnedTokenBalance: null,
    });
    const write = await rest('/generations', {
      key: reader,
      method: 'POST',
      body: { styleId: style.id, promptTags: ['sea'], aspectRatio: '1:1', expectedCost: 10 },
    });
    expect(write.status).toBe(403);
    expect(write.body.error?.code).toBe('API_KEY_SCOPE_MISSING');
    expect((await rest('/tokens/balance', { key: reader })).body).toMatchObject({ tokenBalance: 100 });

    const writer = await keyFor(customer, ['generate']);
    expect((await rest('/tokens/balance', { key: writer })).body.error?.code).toBe('API_KEY_SCOPE_MISSING');
  });

  it('counts rate limits per key', async () => {
    const { customer } = await seedMarket(api);
    const busy = await keyFor(customer, ['read']);
    const statuses: number[] = [];
    for (let i = 0; i < 7; i++) statuses.push((await rest('/tokens/balance', { key: busy })).status);
    expect(statuses.slice(0, 6)).toEqual([200, 200, 200, 200, 200, 200]);
    const over = await rest('/tokens/balance', { key: busy });
    expect(over.status).toBe(429);
    expect(over.body.error?.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(over.headers.get('x-ratelimit-remaining')).toBe('0');
    // The same user's other key has its own window.
    const other = await keyFor(customer, ['read']);
    expect((await rest('/tokens/balance', { key: other })).status).toBe(200);
  });
});

describe('REST v1', () => {
  it('replays a write with the same Idempotency-Key, and refuses the key on a different body', async () => {
    const { customer, style } = await seedMarket(api, { cost: 10 });
    const key = await keyFor(customer, ['read', 'generate']);
    const order = { styleId: style.id, promptTags: ['sea'], aspectRatio: '1:1', expectedCost: 10 };
    const headers = { 'idempotency-key': 'order-1' };
    const first = await rest('/generations', { key, method: 'POST', body: order, headers });
    expect(first.status).toBe(200);
    const again = await rest('/generations', { key, method: 'POST', body: { ...order }, headers });
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.id).toBe(first.body.id);
    expect((await rest('/tokens/balance', { key })).body).toMatchObject({ tokenBalance: 90 });

    // REST create takes expectedCost like tRPC: a stale price is refused.
    const stale = await rest('/generations', { key, method: 'POST', body: { ...order, expectedCost: 3 } });
    expect(stale.status).toBe(409);
    expect(stale.body.error?.code).toBe('PRICE_CHANGED');

    const changed = await rest('/generations', { key, method: 'POST', body: { ...order, seed: 7 }, headers });
    expect(changed.status).toBe(422);
    expect(changed.body.error?.code).toBe('IDEMPOTENCY_KEY_REUSED');
    expect(await api.runtime.deps.db.generation.count({ where: { userId: customer.id } })).toBe(1);
  });

  it('answers bad input with VALIDATION_ERROR and unknown routes with NOT_FOUND, as JSON', async () => {
    const { customer } = await seedMarket(api);
    const key = await keyFor(customer, ['read']);
    const bad = await rest('/styles?limit=1000', { key });
    expect(bad.status).toBe(422);
    expect(bad.body.error).toMatchObject({ code: 'VALIDATION_ERROR' });
    expect((await rest('/styles?limit=2', { key })).status).toBe(200);
    expect((await rest('/generations/not-a-uuid', { key })).body.error?.code).toBe('VALIDATION_ERROR');
    expect((await rest('/nothing-here', { key })).status).toBe(404);
  });

  it('publishes a valid OpenAPI 3.1 document listing every v1 route, and a readable reference page', async () => {
    const response = await fetch(`${api.url}/api/v1/openapi.json`);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, unknown>>;
    };
    const result = await new Validator().validate(document);
    expect(result.errors ?? []).toEqual([]);
    expect(result.valid).toBe(true);
    expect(document.openapi).toBe('3.1.0');
    const listed = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method} ${path}`),
    );
    expect(listed.sort()).toEqual(REST_V1_ROUTES.map((route) => `${route.method} ${route.path}`).sort());
    for (const expected of [
      'get /styles',
      'get /styles/search',
      'post /generations',
      'post /generations/{generationId}/cancel',
      'get /tokens/transactions',
      'get /me',
      'get /notifications',
    ])
      expect(listed).toContain(expected);

    const page = await fetch(`${api.url}/api/docs`);
    expect(page.headers.get('content-type')).toContain('text/html');
    const html = await page.text();
    for (const route of REST_V1_ROUTES) expect(html).toContain(route.path);
    expect(html).not.toMatch(/<script/i);
  });
});
