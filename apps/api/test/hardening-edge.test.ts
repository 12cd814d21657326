// Defects found by trying the product as an attacker, each through the real HTTP API.
import superjson from 'superjson';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/env';
import { startTestApi, type TestApi } from './harness';
import { Browser } from './http-client';
import { addArtist, addGeneration, addStyle } from './marketplace';

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
  const post = (
    api: TestApi,
    path: string,
    body: RequestInit['body'],
    headers: Record<string, string> = {},
  ) =>
    fetch(`${api.url}/trpc/${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:3000', ...headers },
      body,
      duplex: 'half',
    });

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

describe('input PostgreSQL would refuse', () => {
  type Answer = { status: number; text: string; code?: string; field?: unknown };
  const answer = async (response: Promise<Response>): Promise<Answer> => {
    const res = await response;
    const text = await res.text();
    const body = JSON.parse(text || '{}') as {
      error?: { json?: { data?: { code?: string; details?: { field?: unknown } } } };
    };
    return {
      status: res.status,
      text,
      code: body.error?.json?.data?.code,
      field: body.error?.json?.data?.details?.field,
    };
  };
  const expectNothingInternal = (text: string) => {
    for (const leak of [/prisma/i, /node_modules/, /\/src\//, /invalid input/i, /violates/i])
      expect(text).not.toMatch(leak);
  };

  it('answers 422 VALIDATION_ERROR naming the field, never 500 or database text', async () => {
    const api = await apiWith({
      RATE_LIMIT_ANONYMOUS: '10000/60',
      RATE_LIMIT_USER: '10000/60',
      RATE_LIMIT_SIGN_IN: '10000/60',
    });
    const browser = new Browser(api.url);
    const { data } = await browser.mutate<{ userId: string }>('auth.devSignIn', { username: 'nul_tester' });
    const db = api.runtime.deps.db;
    const artist = await addArtist(db);
    const style = await addStyle(db, artist.id);
    const generation = await addGeneration(db, { userId: artist.id, styleId: style.id, isPublic: true });
    const call = (kind: 'query' | 'mutate', path: string, input: unknown) => {
      const serialized = encodeURIComponent(JSON.stringify(superjson.serialize(input)));
      return answer(
        kind === 'query'
          ? browser.fetch(`/trpc/${path}?input=${serialized}`)
          : browser.fetch(`/trpc/${path}`, {
              method: 'POST',
              headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
              body: JSON.stringify(superjson.serialize(input)),
            }),
      );
    };
    const tamperedCursor = Buffer.from(JSON.stringify({ t: new Date().toISOString(), id: 'zzz' })).toString(
      'base64url',
    );
    const cases: Array<[Promise<Answer>, string]> = [
      [call('query', 'search.query', { q: 'ink\u0000' }), 'q'],
      [call('mutate', 'users.updateMe', { bio: 'hello\u0000world' }), 'bio'],
      [call('mutate', 'comments.create', { generationId: generation.id, content: 'a\u0000b' }), 'content'],
      [call('query', 'comments.list', { generationId: generation.id, cursor: tamperedCursor }), 'cursor'],
      [call('query', 'generations.feed', { cursor: tamperedCursor }), 'cursor'],
    ];
    for (const [pending, field] of cases) {
      const result = await pending;
      expect(result, result.text).toMatchObject({ status: 422, code: 'VALIDATION_ERROR', field });
      expectNothingInternal(result.text);
    }

    // An artist shortening a licence to before it began: the database's check, answered as the field's.
    await db.user.update({ where: { id: data!.userId }, data: { role: 'artist' } });
    await db.artist.create({
      data: {
        userId: data!.userId,
        artistName: 'Nul',
        signatureImage: 's.png',
        verifiedEmail: 'n@example.com',
      },
    });
    const own = await addStyle(db, data!.userId);
    const backwards = await call('mutate', 'styles.update', {
      styleId: own.id,
      validTo: new Date(own.validFrom.getTime() - 86_400_000),
    });
    expect(backwards).toMatchObject({ status: 422, code: 'VALIDATION_ERROR', field: 'validTo' });
    expectNothingInternal(backwards.text);
  });

  it('answers a statement the database refuses with a bare 500 INTERNAL_ERROR, in any mode', async () => {
    const api = await apiWith();
    const db = api.runtime.deps.db;
    const browser = new Browser(api.url);
    await browser.mutate('auth.devSignIn', { username: 'trigger_victim' });
    const artist = await addArtist(db);
    const style = await addStyle(db, artist.id);
    const generation = await addGeneration(db, { userId: artist.id, styleId: style.id, isPublic: true });
    // A refusal no input check can foresee: the database itself raises, with text of its own.
    await db.$executeRawUnsafe(
      `CREATE FUNCTION refuse_comment() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'internal_marker_from_database'; END $$`,
    );
    await db.$executeRawUnsafe(
      `CREATE TRIGGER refuse_comment BEFORE INSERT ON comments FOR EACH ROW EXECUTE FUNCTION refuse_comment()`,
    );
    const res = await browser.fetch('/trpc/comments.create', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'http://localhost:3000' },
      body: JSON.stringify(superjson.serialize({ generationId: generation.id, content: 'hello' })),
    });
    const text = await res.text();
    expect(res.status, text).toBe(500);
    expect(text).toContain('INTERNAL_ERROR');
    expect(text).not.toMatch(/internal_marker_from_database|prisma|node_modules/i);
  });

  it('answers OPTIONS and a GET on a mutation without a 500', async () => {
    const api = await apiWith();
    const options = await fetch(`${api.url}/trpc/styles.list`, { method: 'OPTIONS' });
    expect(options.status).toBe(204);
    expect(options.headers.get('allow')).toBe('GET, POST');
    const textPlain = await answer(
      fetch(`${api.url}/trpc/auth.devSignIn`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain', origin: 'http://localhost:3000' },
        body: 'hello',
      }),
    );
    expect(textPlain.status).toBeLessThan(500);
    const getMutation = await answer(fetch(`${api.url}/trpc/users.updateMe?input=%7B%7D`));
    expect(getMutation).toMatchObject({ status: 405, code: 'METHOD_NOT_ALLOWED' });
    expectNothingInternal(getMutation.text);
  });
});
