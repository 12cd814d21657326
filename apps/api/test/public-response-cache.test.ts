import { afterEach, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { Browser } from './http-client';
import { addArtist, addStyle } from './marketplace';

interface StylePage {
  items: { id: string; name: string }[];
}

describe('the anonymous page cache over HTTP', () => {
  let api: TestApi | undefined;
  afterEach(async () => {
    await api?.stop();
    api = undefined;
  });

  it('serves an anonymous catalogue page as first sent until it expires, then rebuilds it from the database', async () => {
    // Long enough that a stalled machine still sees the hits below inside it; its end is awaited.
    api = await startTestApi({ PUBLIC_CACHE_SECONDS: '5', RATE_LIMIT_ANONYMOUS: '1000/60' });
    const artist = await addArtist(api.database.db);
    const first = await addStyle(api.database.db, artist.id, { name: 'first light' });
    const visitor = new Browser(api.url);

    const built = await visitor.query<StylePage>('styles.list', { limit: 10 });
    expect(built.status).toBe(200);
    expect(built.headers.get('x-cache')).toBe('MISS');
    expect(built.data!.items.map((s) => s.id)).toEqual([first.id]);

    const second = await addStyle(api.database.db, artist.id, { name: 'second light' });
    const served = await visitor.query<StylePage>(
      'styles.list',
      { limit: 10 },
      { 'x-request-id': 'trace-cached-1' },
    );
    expect(served.headers.get('x-cache')).toBe('HIT');
    expect(served.headers.get('x-request-id')).toBe('trace-cached-1');
    expect(served.headers.get('x-ratelimit-limit')).toBe('1000');
    expect(served.data).toEqual(built.data); // as first sent, Dates included
    expect(Number(served.headers.get('age'))).toBeGreaterThanOrEqual(0);
    // Another input is another page.
    const other = await visitor.query<StylePage>('styles.list', { limit: 5 });
    expect(other.headers.get('x-cache')).toBe('MISS');
    expect(other.data!.items).toHaveLength(2);

    // Until its time is up every answer is the first page; the first caller after that gets a page
    // rebuilt from the database.
    await expect
      .poll(
        async () => {
          const page = await visitor.query<StylePage>('styles.list', { limit: 10 });
          const ids = page.data!.items.map((s) => s.id);
          if (page.headers.get('x-cache') === 'HIT') expect(ids).toEqual([first.id]);
          return [page.headers.get('x-cache'), ids];
        },
        { timeout: 30_000, interval: 250 },
      )
      .toEqual(['MISS', [second.id, first.id]]);
    const after = await visitor.query<StylePage>('styles.list', { limit: 10 });
    expect(after.headers.get('x-cache')).toBe('HIT');
    expect(after.data!.items.map((s) => s.id)).toEqual([second.id, first.id]);
  });

  it('never serves a signed-in caller from it, nor caches errors or other procedures', async () => {
    api = await startTestApi({ PUBLIC_CACHE_SECONDS: '60', RATE_LIMIT_ANONYMOUS: '1000/60' });
    const artist = await addArtist(api.database.db);
    await addStyle(api.database.db, artist.id);
    const visitor = new Browser(api.url);
    expect((await visitor.query('styles.list', {})).headers.get('x-cache')).toBe('MISS');
    await addStyle(api.database.db, artist.id);

    const member = new Browser(api.url);
    expect((await member.mutate('auth.devSignIn', { username: 'cache_reader' })).status).toBe(200);
    // Not these bytes (the member's page carries their own part), but the same shared rows.
    const personal = await member.query<StylePage>('styles.list', {});
    expect(personal.headers.get('x-cache')).toBeNull();
    expect(personal.data!.items).toHaveLength(1);
    // The anonymous page is still the one first built.
    expect((await visitor.query<StylePage>('styles.list', {})).data!.items).toHaveLength(1);

    for (let i = 0; i < 2; i++) {
      const invalid = await visitor.query('styles.list', { limit: 0 });
      expect(invalid.status).toBe(422);
      expect(invalid.error!.data.code).toBe('VALIDATION_ERROR');
      expect(invalid.headers.get('x-cache')).toBe('MISS');
    }
    expect((await visitor.query('health')).headers.get('x-cache')).toBeNull();
    // A batch is cached only when every call in it is a public page.
    const batch = `/trpc/styles.list,health?batch=1&input=${encodeURIComponent(JSON.stringify({ 0: { json: {} }, 1: { json: null } }))}`;
    expect((await visitor.fetch(batch)).headers.get('x-cache')).toBeNull();
  });

  it('builds a new page once for many simultaneous visitors', async () => {
    api = await startTestApi({ PUBLIC_CACHE_SECONDS: '60', RATE_LIMIT_ANONYMOUS: '1000/60' });
    const artist = await addArtist(api.database.db);
    await addStyle(api.database.db, artist.id);
    const responses = await Promise.all(
      Array.from({ length: 20 }, () =>
        new Browser(api!.url).query<StylePage>('generations.feed', { limit: 7 }),
      ),
    );
    expect(responses.map((r) => r.status)).toEqual(Array(20).fill(200));
    expect(responses.filter((r) => r.headers.get('x-cache') === 'MISS')).toHaveLength(1);
    expect(new Set(responses.map((r) => JSON.stringify(r.data))).size).toBe(1);
  });

  it('still counts served pages against the anonymous rate limit, with its headers', async () => {
    api = await startTestApi({ PUBLIC_CACHE_SECONDS: '60', RATE_LIMIT_ANONYMOUS: '3/60' });
    const visitor = new Browser(api.url);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await visitor.query('search.query', { q: 'water' }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((a) => a.headers.get('x-cache'))).toEqual(['MISS', 'HIT', 'HIT', null]);
    expect(answers.map((a) => a.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
    expect(answers[3]!.error!.data.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(answers[3]!.headers.get('retry-after')).not.toBeNull();
  });
});
