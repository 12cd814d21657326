import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SessionCache } from '../src/identity/session-cache';
import { createSession } from '../src/identity/sessions';
import { startTestApi, type TestApi } from './harness';
import { Browser } from './http-client';
import { addArtist, addGeneration, addStyle, addUser } from './marketplace';

interface FeedPage {
  items: Array<{ id: string; isLiked: boolean }>;
}

const policy = { ttlMs: 30 * 24 * 3600_000 };

describe('the session cache (members’ pages)', () => {
  const session = (sessionId: string, expiresInMs = policy.ttlMs) => ({
    userId: 'u1',
    role: 'user' as const,
    sessionId,
    expiresAt: new Date(Date.now() + expiresInMs),
  });

  it('vouches for nothing until it hears changes, and only for the right secret', () => {
    const cache = new SessionCache(policy, 60_000);
    cache.remember(cache.mark(), 's1.secret', session('s1'));
    expect(cache.lookup('s1.secret')).toBeUndefined(); // not listening yet: nothing kept
    cache.resume();
    cache.remember(cache.mark(), 's1.secret', session('s1'));
    expect(cache.lookup('s1.secret')).toEqual({ userId: 'u1', role: 'user', sessionId: 's1' });
    expect(cache.lookup('s1.other')).toBeUndefined();
    expect(cache.lookup('s2.secret')).toBeUndefined();
    cache.suspend();
    expect(cache.lookup('s1.secret')).toBeUndefined();
  });

  it('does not keep a read that raced a change, and forgets what a change names', () => {
    const cache = new SessionCache(policy, 60_000);
    cache.resume();
    const before = cache.mark();
    cache.forget('s1'); // the sign-out's notification came while the session was being read
    cache.remember(before, 's1.secret', session('s1'));
    expect(cache.lookup('s1.secret')).toBeUndefined();

    cache.remember(cache.mark(), 's1.secret', session('s1'));
    cache.remember(cache.mark(), 's2.secret', { ...session('s2'), userId: 'u2' });
    cache.forgetUser('u1');
    expect(cache.lookup('s1.secret')).toBeUndefined();
    expect(cache.lookup('s2.secret')).toBeDefined();
    cache.forget('s2');
    expect(cache.lookup('s2.secret')).toBeUndefined();
  });

  it('leaves sessions due for renewal, expired or kept past its TTL to the database', () => {
    const cache = new SessionCache(policy, 60_000);
    cache.resume();
    cache.remember(cache.mark(), 'due.x', session('due', policy.ttlMs / 2 - 1000));
    cache.remember(cache.mark(), 'gone.x', session('gone', -1));
    cache.remember(cache.mark(), 'old.x', session('old'));
    expect(cache.lookup('due.x')).toBeUndefined();
    expect(cache.lookup('gone.x')).toBeUndefined();
    expect(cache.lookup('old.x', Date.now() + 60_001)).toBeUndefined();
  });
});

describe('members’ pages with sessions kept in memory', () => {
  let api: TestApi;
  let liked: string;

  beforeAll(async () => {
    // An hour of trust: whatever ends a session below is seen by notification, not by expiry.
    api = await startTestApi({
      SESSION_CHECK_CACHE_SECONDS: '3600',
      RATE_LIMIT_SIGN_IN: '100/60',
      RATE_LIMIT_USER: '10000/60',
      RATE_LIMIT_ANONYMOUS: '10000/60',
    });
    const db = api.database.db;
    const artist = await addArtist(db, { artistName: 'Cache Painter' });
    const style = await addStyle(db, artist.id, { name: 'cached light' });
    const author = await addUser(db);
    liked = (await addGeneration(db, { userId: author.id, styleId: style.id, isPublic: true })).id;
  });
  afterAll(async () => {
    await api?.stop();
  });

  /** A member who likes `liked`, signed in on a fresh session; their cookie header as sent. */
  const member = async (username: string) => {
    const browser = new Browser(api.url);
    expect((await browser.mutate('auth.devSignIn', { username })).status).toBe(200);
    expect((await browser.mutate('likes.like', { generationId: liked })).status).toBe(200);
    return { browser, cookie: browser.cookieHeader() };
  };
  /** Whether the feed `cookie` gets shows the like (the member's own page) or not (a visitor's). */
  const seesOwnLike = async (cookie: string) => {
    const response = await new Browser(api.url).query<FeedPage>(
      'generations.feed',
      { limit: 10 },
      { cookie },
    );
    expect(response.status).toBe(200);
    return response.data!.items.find((g) => g.id === liked)!.isLiked;
  };
  const tokenOf = (cookie: string) => decodeURIComponent(cookie.slice(cookie.indexOf('=') + 1));
  const sessionIdOf = (cookie: string) => tokenOf(cookie).split('.')[0]!;
  /**
   * Reads `cookie`'s page until the cache holds its session (the listener connects in the
   * background, and a read that raced any session change is not kept).
   */
  const cached = async (cookie: string) => {
    const cache = api.runtime.deps.sessionCache!;
    await expect
      .poll(async () => (await seesOwnLike(cookie)) && cache.lookup(tokenOf(cookie)) !== undefined)
      .toBe(true);
  };

  it('serves a checked session from memory: only a change notified by the database ends it', async () => {
    const db = api.database.db;
    const { browser, cookie } = await member('cached_reader');
    await cached(cookie);
    // With the trigger off, the database tells nobody: the page still trusts the session it kept,
    // while any other call reads the database and finds it gone.
    await db.$executeRawUnsafe('ALTER TABLE sessions DISABLE TRIGGER sessions_notify_change');
    try {
      await db.$executeRaw`DELETE FROM sessions WHERE id = ${sessionIdOf(cookie)}`;
      expect(await seesOwnLike(cookie)).toBe(true);
      expect((await browser.query('auth.me')).status).toBe(401);
    } finally {
      await db.$executeRawUnsafe('ALTER TABLE sessions ENABLE TRIGGER sessions_notify_change');
    }
  });

  it('ends a session signed out by another instance or by hand on every page', async () => {
    const db = api.database.db;
    const { cookie } = await member('signed_out_elsewhere');
    await cached(cookie);
    await db.$executeRaw`DELETE FROM sessions WHERE id = ${sessionIdOf(cookie)}`;
    await expect.poll(() => seesOwnLike(cookie)).toBe(false);

    const deactivated = await member('deactivated_reader');
    await cached(deactivated.cookie);
    await db.$executeRaw`UPDATE users SET is_active = false WHERE lower(username) = 'deactivated_reader'`;
    await expect.poll(() => seesOwnLike(deactivated.cookie)).toBe(false);
  });

  it('ends a session signed out here at once, everywhere or one device', async () => {
    const { browser, cookie } = await member('signs_out_here');
    await cached(cookie);
    expect((await browser.mutate('auth.signOut')).status).toBe(200);
    expect(await seesOwnLike(cookie)).toBe(false);

    const laptop = await member('signs_out_everywhere');
    const user = await api.database.db.user.findFirstOrThrow({ where: { username: 'signs_out_everywhere' } });
    const { token } = await createSession(api.database.db, policy, { userId: user.id });
    const phoneCookie = `sl_session=${encodeURIComponent(token)}`;
    await cached(phoneCookie);
    expect((await laptop.browser.mutate('auth.signOutAll')).status).toBe(200);
    expect(await seesOwnLike(phoneCookie)).toBe(false);
  });

  it('trusts nothing while its connection to the database is lost, and again once it is back', async () => {
    const db = api.database.db;
    const { cookie } = await member('outage_reader');
    await cached(cookie);
    // Changes made while nobody listens are never heard: the cache must not outlive the connection.
    await db.$executeRawUnsafe('ALTER TABLE sessions DISABLE TRIGGER sessions_notify_change');
    try {
      await db.$executeRaw`SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE application_name = 'session-changes' AND datname = current_database()`;
      await db.$executeRaw`DELETE FROM sessions WHERE id = ${sessionIdOf(cookie)}`;
      await expect.poll(() => seesOwnLike(cookie)).toBe(false);
    } finally {
      await db.$executeRawUnsafe('ALTER TABLE sessions ENABLE TRIGGER sessions_notify_change');
    }
    await cached((await member('after_outage')).cookie); // listening again: sessions are kept again
  });
});
