import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reconcile } from '../src/tokens/ledger';
import { FakeGoogle, type GoogleUser } from './google-server';
import { startTestApi, type TestApi } from './harness';
import { Browser } from './http-client';

const WEB = 'http://localhost:5173';
let api: TestApi;
let google: FakeGoogle;

beforeAll(async () => {
  google = new FakeGoogle('client-123.apps.googleusercontent.com', 'secret-xyz');
  await google.start();
  api = await startTestApi({
    WEB_ORIGIN: WEB,
    GOOGLE_CLIENT_ID: google.clientId,
    GOOGLE_CLIENT_SECRET: google.clientSecret,
    GOOGLE_AUTHORIZATION_URL: `${google.url}/authorize`,
    GOOGLE_TOKEN_URL: `${google.url}/token`,
    RATE_LIMIT_SIGN_IN: '1000/300',
  });
});
afterAll(async () => {
  await api.stop();
  await google.stop();
});

/** The browser's round trip: our login redirect → Google's consent → our callback. */
async function signIn(
  browser: Browser,
  user: GoogleUser,
  tamper: (q: { code: string; state: string }) => Record<string, string> = (q) => q,
) {
  const login = await browser.fetch('/api/auth/google/login?next=/styles/new');
  expect(login.status).toBe(302);
  const consent = google.authorize(login.headers.get('location')!, user);
  const callback = await browser.fetch(
    `/api/auth/google/callback?${new URLSearchParams(tamper(consent)).toString()}`,
  );
  expect(callback.status).toBe(302);
  return new URL(callback.headers.get('location')!);
}

const mina: GoogleUser = {
  sub: '1098765432101',
  email: 'mina.park@gmail.com',
  email_verified: true,
  name: 'Mina Park',
  picture: 'https://lh3.googleusercontent.com/a/mina',
};

describe('Google sign-in', () => {
  it('sends the browser to Google with PKCE (S256), state and short-lived HttpOnly flow cookies', async () => {
    const browser = new Browser(api.url);
    const login = await browser.fetch('/api/auth/google/login');
    const url = new URL(login.headers.get('location')!);
    expect(`${url.origin}${url.pathname}`).toBe(`${google.url}/authorize`);
    expect(url.searchParams.get('client_id')).toBe(google.clientId);
    expect(url.searchParams.get('redirect_uri')).toBe(`${api.url}/api/auth/google/callback`);
    expect(url.searchParams.get('scope')).toBe('openid email profile');
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    const flow = login.headers.getSetCookie().filter((c) => c.startsWith('sl_oauth_'));
    expect(flow).toHaveLength(3);
    expect(
      flow.every((c) => /Max-Age=600/.test(c) && /HttpOnly/.test(c) && /Path=\/api\/auth\/google/.test(c)),
    ).toBe(true);
  });

  it('creates the user on first sign-in with a derived username, oauth account and welcome bonus', async () => {
    const browser = new Browser(api.url);
    const landed = await signIn(browser, mina);
    expect(landed.toString()).toBe(`${WEB}/styles/new`);
    expect(browser.cookies.has('sl_session')).toBe(true);
    expect([...browser.cookies.keys()].some((name) => name.startsWith('sl_oauth_'))).toBe(false);

    const me = await browser.query<{
      id: string;
      username: string;
      email: string;
      tokenBalance: number;
      role: string;
      profileImage: string;
    }>('auth.me');
    expect(me.data).toMatchObject({
      username: 'mina.park',
      email: 'mina.park@gmail.com',
      tokenBalance: 100,
      role: 'user',
      profileImage: mina.picture,
    });
    const db = api.database.db;
    const account = await db.oAuthAccount.findFirstOrThrow({ where: { userId: me.data!.id } });
    expect(account).toMatchObject({ provider: 'google', providerUserId: mina.sub, emailVerified: true });
    const bonus = await db.transaction.findMany({ where: { receiverId: me.data!.id } });
    expect(bonus).toMatchObject([{ type: 'bonus', amount: 100, memo: 'Welcome Bonus', senderId: null }]);
    expect(await reconcile(db)).toEqual([]);
  });

  it('finds the returning user by (provider, subject) without a second bonus', async () => {
    const browser = new Browser(api.url);
    await signIn(browser, { ...mina, email: 'mina@newdomain.com', name: 'Mina P.' });
    const me = await browser.query<{ username: string; tokenBalance: number }>('auth.me');
    expect(me.data).toMatchObject({ username: 'mina.park', tokenBalance: 100 });
    expect(await api.database.db.user.count({ where: { provider: 'google' } })).toBe(1);
    expect(await api.database.db.transaction.count({ where: { type: 'bonus' } })).toBe(1);
  });

  it('gives a different person with the same e-mail name a unique, valid username', async () => {
    const browser = new Browser(api.url);
    await signIn(browser, {
      sub: '2000',
      email: 'mina.park@example.org',
      email_verified: true,
      name: 'Another Mina',
    });
    const me = await browser.query<{ username: string }>('auth.me');
    expect(me.data!.username).toMatch(/^mina\.park_\d+$/);

    const korean = new Browser(api.url);
    await signIn(korean, { sub: '3000', email: '김@example.kr', email_verified: true, name: '김민아' });
    const named = await korean.query<{ username: string }>('auth.me');
    expect(named.data!.username).toMatch(/^[A-Za-z0-9_.]{3,50}$/);
  });

  it('redirects with an error code for denied consent, a bad state and a failed exchange', async () => {
    const denied = new Browser(api.url);
    await denied.fetch('/api/auth/google/login');
    const deniedBack = await denied.fetch('/api/auth/google/callback?error=access_denied&state=x');
    expect(new URL(deniedBack.headers.get('location')!).searchParams.get('error')).toBe('access_denied');

    const forged = new Browser(api.url);
    const badState = await signIn(forged, mina, (q) => ({ ...q, state: 'attacker-state' }));
    expect(badState.searchParams.get('error')).toBe('invalid_state');
    expect(forged.cookies.has('sl_session')).toBe(false);

    const replayed = new Browser(api.url);
    const badCode = await signIn(replayed, mina, (q) => ({ ...q, code: 'code_never_issued' }));
    expect(badCode.searchParams.get('error')).toBe('exchange_failed');
    expect(replayed.cookies.has('sl_session')).toBe(false);

    // No flow cookies at all (callback opened in another browser).
    const stranger = new Browser(api.url);
    const noCookies = await stranger.fetch('/api/auth/google/callback?code=abc&state=def');
    expect(new URL(noCookies.headers.get('location')!).searchParams.get('error')).toBe('invalid_state');
  });
});
