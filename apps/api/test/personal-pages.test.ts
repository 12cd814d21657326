import superjson, { type SuperJSONResult } from 'superjson';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '@stylelicense/db/testing';
import { ViewerStateReads } from '../src/community/viewer-state';
import { startTestApi, type TestApi } from './harness';
import { Browser } from './http-client';
import { addArtist, addGeneration, addStyle, addUser } from './marketplace';

interface FeedPage {
  items: Array<{ id: string; likeCount: number; isLiked: boolean; createdAt: Date }>;
}
interface StylePage {
  items: Array<{ id: string; artist: { id: string; isFollowed: boolean }; createdAt: Date }>;
}
interface SearchPage {
  styles: Array<{ id: string; artist: { id: string; isFollowed: boolean } }>;
  artists: Array<{ id: string; isFollowed: boolean }>;
}

/** The anonymous page as one viewer should see it: the same rows, their own marks. */
const withLikes = (page: FeedPage, liked: string[]): FeedPage => ({
  ...page,
  items: page.items.map((g) => ({ ...g, isLiked: liked.includes(g.id) })),
});
const withFollows = (page: StylePage, followed: string[]): StylePage => ({
  ...page,
  items: page.items.map((s) => ({
    ...s,
    artist: { ...s.artist, isFollowed: followed.includes(s.artist.id) },
  })),
});
const searchWithFollows = (page: SearchPage, followed: string[]): SearchPage => ({
  ...page,
  styles: page.styles.map((s) => ({
    ...s,
    artist: { ...s.artist, isFollowed: followed.includes(s.artist.id) },
  })),
  artists: page.artists.map((p) => ({ ...p, isFollowed: followed.includes(p.id) })),
});

describe("signed-in pages: the shared page plus the viewer's own part", () => {
  let api: TestApi;
  let anonymous: Browser;
  let alice: Browser;
  let bob: Browser;
  const artists: string[] = [];
  const generations: string[] = [];

  beforeAll(async () => {
    // A long TTL: every shared page below is the one first built, so only the overlay can change.
    api = await startTestApi({
      PUBLIC_CACHE_SECONDS: '300',
      RATE_LIMIT_ANONYMOUS: '10000/60',
      RATE_LIMIT_USER: '10000/60',
    });
    const db = api.database.db;
    const author = await addUser(db);
    for (const name of ['Zephyr Quill', 'Zephyr Moss']) {
      const artist = await addArtist(db, { artistName: name });
      artists.push(artist.id);
      const style = await addStyle(db, artist.id, { name: `zephyr ${name.split(' ')[1]!.toLowerCase()}` });
      for (let i = 0; i < 2; i++) {
        const generation = await addGeneration(db, { userId: author.id, styleId: style.id, isPublic: true });
        generations.push(generation.id);
      }
    }
    anonymous = new Browser(api.url);
    alice = new Browser(api.url);
    bob = new Browser(api.url);
    expect((await alice.mutate('auth.devSignIn', { username: 'alice_reader' })).status).toBe(200);
    expect((await bob.mutate('auth.devSignIn', { username: 'bob_reader' })).status).toBe(200);
  });
  afterAll(async () => {
    await api?.stop();
  });

  const feed = async (browser: Browser) => {
    const page = await browser.query<FeedPage>('generations.feed', { limit: 10 });
    expect(page.status).toBe(200);
    return page.data!;
  };
  const styles = async (browser: Browser) =>
    (await browser.query<StylePage>('styles.list', { limit: 10 })).data!;
  const search = async (browser: Browser) =>
    (await browser.query<SearchPage>('search.query', { q: 'zephyr', limit: 10 })).data!;
  const act = async (browser: Browser, path: string, input: unknown) =>
    expect((await browser.mutate(path, input)).status).toBe(200);

  it("shows the anonymous feed rows with exactly the viewer's likes, at once after each change", async () => {
    const shared = await feed(anonymous);
    expect(shared.items.map((g) => g.id).sort()).toEqual([...generations].sort());
    expect(shared.items.every((g) => !g.isLiked && g.likeCount === 0)).toBe(true);

    expect(await feed(alice)).toEqual(shared);
    const [g1, g2, g3] = generations as [string, string, string];
    await act(alice, 'likes.like', { generationId: g2 });
    await act(bob, 'likes.like', { generationId: g1 });
    // Their own likes at once; the counts are the shared page's until it expires, as for anyone.
    expect(await feed(alice)).toEqual(withLikes(shared, [g2]));
    expect(await feed(bob)).toEqual(withLikes(shared, [g1]));

    await act(alice, 'likes.unlike', { generationId: g2 });
    await act(alice, 'likes.like', { generationId: g3 });
    expect(await feed(alice)).toEqual(withLikes(shared, [g3]));
    expect(await feed(bob)).toEqual(withLikes(shared, [g1]));
    expect(await feed(anonymous)).toEqual(shared);
  });

  it('shows the anonymous catalogue and search rows with exactly whom the viewer follows', async () => {
    const sharedStyles = await styles(anonymous);
    const sharedSearch = await search(anonymous);
    expect(sharedStyles.items).toHaveLength(2);
    expect(sharedSearch.styles).toHaveLength(2);
    expect(sharedSearch.artists.map((p) => p.id).sort()).toEqual([...artists].sort());
    const [quill, moss] = artists as [string, string];

    await act(bob, 'follows.follow', { userId: quill });
    expect(await styles(bob)).toEqual(withFollows(sharedStyles, [quill]));
    expect(await search(bob)).toEqual(searchWithFollows(sharedSearch, [quill]));
    expect(await styles(alice)).toEqual(withFollows(sharedStyles, []));

    await act(alice, 'follows.follow', { userId: moss });
    expect(await styles(alice)).toEqual(withFollows(sharedStyles, [moss]));
    expect(await search(alice)).toEqual(searchWithFollows(sharedSearch, [moss]));
    await act(bob, 'follows.unfollow', { userId: quill });
    expect(await styles(bob)).toEqual(withFollows(sharedStyles, []));
    expect(await search(bob)).toEqual(searchWithFollows(sharedSearch, []));
    expect(await styles(anonymous)).toEqual(sharedStyles);
    expect(await search(anonymous)).toEqual(sharedSearch);
  });

  it('answers a batch of pages (as the typed client sends them) as the same calls one by one', async () => {
    const input = encodeURIComponent(
      JSON.stringify({ 0: { json: { limit: 10 } }, 1: { json: { limit: 10 } } }),
    );
    for (const browser of [alice, bob]) {
      const response = await browser.fetch(`/trpc/generations.feed,styles.list?batch=1&input=${input}`);
      expect(response.status).toBe(200);
      const answers = (await response.json()) as Array<{ result: { data: SuperJSONResult } }>;
      expect(answers.map((a) => superjson.deserialize(a.result.data))).toEqual([
        await feed(browser),
        await styles(browser),
      ]);
    }
  });

  it("never lets one viewer's state into another's page, however their requests interleave", async () => {
    const shared = await feed(anonymous);
    const [g1, , g3] = generations as [string, string, string];
    const pages = await Promise.all(
      Array.from({ length: 30 }, (_, i) => feed([alice, bob, anonymous][i % 3]!)),
    );
    pages.forEach((page, i) => {
      const expected = [withLikes(shared, [g3]), withLikes(shared, [g1]), shared][i % 3];
      expect(page).toEqual(expected);
    });
  });
});

describe("a member's page answered ahead of tRPC's adapter", () => {
  let api: TestApi | undefined;
  afterAll(async () => {
    await api?.stop();
  });

  it("counts against the member limit with its headers, and errors are tRPC's own", async () => {
    api = await startTestApi({ PUBLIC_CACHE_SECONDS: '60', RATE_LIMIT_USER: '3/60' });
    const member = new Browser(api.url);
    expect((await member.mutate('auth.devSignIn', { username: 'limited_reader' })).status).toBe(200);
    const answers = [];
    for (let i = 0; i < 4; i++) answers.push(await member.query('generations.feed', { limit: 5 }));
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 429]);
    expect(answers.map((a) => a.headers.get('x-ratelimit-remaining'))).toEqual(['2', '1', '0', '0']);
    expect(answers[3]!.error!.data.code).toBe('RATE_LIMIT_EXCEEDED');
    expect(answers[0]!.headers.get('x-request-id')).toBeTruthy();

    const other = new Browser(api.url);
    expect((await other.mutate('auth.devSignIn', { username: 'invalid_reader' })).status).toBe(200);
    const invalid = await other.query('styles.list', { limit: 0 });
    expect(invalid.status).toBe(422);
    expect(invalid.error!.data.code).toBe('VALIDATION_ERROR');
    // An input that is not JSON: tRPC's own answer, as a visitor gets it; a good one still works.
    const garbled = '/trpc/styles.list?input=%7Bnot-json';
    const asMember = await other.fetch(garbled);
    const asVisitor = await fetch(api.url + garbled);
    expect(asMember.status).toBe(asVisitor.status);
    expect(asMember.status).toBeGreaterThanOrEqual(400);
    expect(asMember.status).toBeLessThan(500);
    expect(await asMember.json()).toEqual(await asVisitor.json());
    expect((await other.query('styles.list', { limit: 2 })).status).toBe(200);
  });
});

describe("members' parts read together", () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database?.drop();
  });

  it('reads many at once in few statements, each getting exactly its own viewer’s marks', async () => {
    const db = database.db;
    const artist = await addArtist(db);
    const style = await addStyle(db, artist.id);
    const author = await addUser(db);
    const generations: string[] = [];
    for (let i = 0; i < 6; i++)
      generations.push(
        (await addGeneration(db, { userId: author.id, styleId: style.id, isPublic: true })).id,
      );
    const viewers = await Promise.all(Array.from({ length: 12 }, () => addUser(db)));
    // Viewer v likes the generations whose index ≡ v (mod 3) and follows the artist when v is even.
    for (const [v, viewer] of viewers.entries()) {
      for (const [g, generation] of generations.entries())
        if (g % 3 === v % 3) await db.like.create({ data: { userId: viewer.id, generationId: generation } });
      if (v % 2 === 0) await db.follow.create({ data: { followerId: viewer.id, followingId: artist.id } });
    }
    const reads = new ViewerStateReads(db, 2);
    // Each viewer asks twice, about different halves of the page: 24 calls while 2 statements run.
    const asks = viewers.flatMap((viewer, v) =>
      [generations.slice(0, 3), generations.slice(3)].map(async (page) => ({
        v,
        page,
        state: await reads.read(viewer.id, page, [artist.id, author.id]),
      })),
    );
    for (const { v, page, state } of await Promise.all(asks)) {
      expect([...state.liked].sort()).toEqual(
        page.filter((id) => generations.indexOf(id) % 3 === v % 3).sort(),
      );
      expect([...state.followed]).toEqual(v % 2 === 0 ? [artist.id] : []);
    }
    expect(reads.statements).toBeLessThanOrEqual(4);

    // A like made after a read was answered shows on the next read at once.
    await db.like.create({ data: { userId: viewers[1]!.id, generationId: generations[0]! } });
    expect([...(await reads.read(viewers[1]!.id, [generations[0]!], [])).liked]).toEqual([generations[0]]);
  });
});
