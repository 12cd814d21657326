// Usernames are one name whatever their case, through the real HTTP API (style names: hardening.test.ts).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { Browser, devSignedIn } from './http-client';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({
    RATE_LIMIT_ANONYMOUS: '10000/60',
    RATE_LIMIT_USER: '10000/60',
    RATE_LIMIT_SIGN_IN: '10000/60',
    PUBLIC_CACHE_SECONDS: '0',
  });
});
afterAll(() => api.stop());

const signedIn = (username: string) => devSignedIn(api.url, username);

describe('usernames whatever their case', () => {
  it('refuses MINA_INK while mina_ink exists, on a rename and on a first sign-in; the owner may change its case', async () => {
    const { browser: mina, userId: minaId } = await signedIn('mina_ink');
    const { browser: copycat } = await signedIn('copycat');
    const taken = await copycat.mutate('users.updateMe', { username: 'MINA_INK' });
    expect(taken.status).toBe(409);
    expect(taken.error?.data).toMatchObject({ code: 'CONFLICT', details: { field: 'username' } });

    // A first sign-in whose name differs only by case is given a username of its own.
    const { browser: lookalike, userId: lookalikeId } = await signedIn('Mina_Ink');
    expect(lookalikeId).not.toBe(minaId);
    const theirs = await lookalike.query<{ username: string }>('auth.me');
    expect(theirs.data!.username.toLowerCase()).not.toBe('mina_ink');

    const recased = await mina.mutate<{ username: string }>('users.updateMe', { username: 'Mina_INK' });
    expect(recased.status).toBe(200);
    expect(recased.data?.username).toBe('Mina_INK');
  });

  it('search ranks exactly one person as the exact username match, whatever the query’s case', async () => {
    const { userId } = await signedIn('ink_blot');
    // Trigrams ignore punctuation: "ink.blot" is as similar to "ink_blot" as "ink_blot" itself.
    await signedIn('ink.blot');
    for (const q of ['INK_BLOT', 'ink_blot']) {
      const found = await new Browser(api.url).query<{
        artists: Array<{ id: string; username: string; score: number }>;
      }>('search.query', { q, type: 'artists' });
      expect(found.status).toBe(200);
      const people = found.data!.artists;
      expect(people.map((person) => person.username).sort()).toEqual(['ink.blot', 'ink_blot']);
      expect(people.filter((person) => person.score === 1).map((person) => person.id)).toEqual([userId]);
      expect(people[0]!.id).toBe(userId);
    }
  });
});
