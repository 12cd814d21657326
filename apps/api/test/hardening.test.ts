// Defects found by trying the product as a user, each through the real HTTP API.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { Browser } from './http-client';
import { addArtist, addGeneration, addStyle } from './marketplace';

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

async function signedIn(username: string) {
  const browser = new Browser(api.url);
  const result = await browser.mutate<{ userId: string }>('auth.devSignIn', { username });
  expect(result.status).toBe(200);
  return { browser, userId: result.data!.userId };
}

async function publicGeneration() {
  const db = api.runtime.deps.db;
  const artist = await addArtist(db);
  const style = await addStyle(db, artist.id);
  return addGeneration(db, { userId: artist.id, styleId: style.id, isPublic: true });
}

describe('comments', () => {
  it('an edit within a second of posting shows as edited; an untouched comment does not', async () => {
    const generation = await publicGeneration();
    const { browser } = await signedIn('quick_editor');
    const posted = await browser.mutate<{ id: string; edited: boolean }>('comments.create', {
      generationId: generation.id,
      content: 'frist',
    });
    expect(posted.data?.edited).toBe(false);
    const edited = await browser.mutate<{ edited: boolean }>('comments.update', {
      commentId: posted.data!.id,
      content: 'first',
    });
    expect(edited.data?.edited).toBe(true);
    const untouched = await browser.mutate<{ id: string }>('comments.create', {
      generationId: generation.id,
      content: 'second',
    });
    const listed = await new Browser(api.url).query<{ items: Array<{ id: string; edited: boolean }> }>(
      'comments.list',
      { generationId: generation.id },
    );
    expect(Object.fromEntries(listed.data!.items.map((comment) => [comment.id, comment.edited]))).toEqual({
      [posted.data!.id]: true,
      [untouched.data!.id]: false,
    });
  });
});
