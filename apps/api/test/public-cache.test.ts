import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import superjson from 'superjson';
import type { ApiConfig } from '../src/env';
import {
  PublicReadCache,
  publicRead,
  serializeOncePerSharedResult,
  sharedResultSerializer,
} from '../src/trpc/public-cache';
import { addArtist, addStyle, startMarketplace, type Marketplace } from './marketplace';

describe('PublicReadCache', () => {
  it('reads once per key per TTL, shares concurrent misses, forgets failures', async () => {
    const cache = new PublicReadCache(60_000, 2);
    let reads = 0;
    const load = async () => ++reads;
    expect(await Promise.all([cache.get('a', load), cache.get('a', load)])).toEqual([1, 1]);
    expect(await cache.get('a', load)).toBe(1);
    expect(await cache.get('b', load)).toBe(2);
    expect(await cache.get('c', load)).toBe(3); // evicts 'a', the oldest
    expect(await cache.get('a', load)).toBe(4);
    await expect(cache.get('boom', () => Promise.reject(new Error('db down')))).rejects.toThrow('db down');
    await new Promise((r) => setTimeout(r, 0));
    expect(await cache.get('boom', async () => 'recovered')).toBe('recovered');
  });

  it('has a page shared from the cache serialized once, anything else every time', async () => {
    const cache = new PublicReadCache(60_000);
    let walks = 0;
    const serialize = serializeOncePerSharedResult((value) => (walks++, superjson.serialize(value)));
    const page = await cache.get('page', async () => ({ items: [{ at: new Date(0) }] }));
    expect(serialize(page)).toEqual(superjson.serialize(page));
    expect(serialize(await cache.get('page', async () => ({ items: [] })))).toBe(serialize(page));
    expect(walks).toBe(1);
    const fresh = { items: [{ at: new Date(1) }] };
    serialize(fresh);
    serialize(fresh);
    expect(walks).toBe(3);
  });

  it("writes a viewer's page as the shared page's text with their booleans, as serializing it would", async () => {
    const { serialize, toChunks } = sharedResultSerializer((value) => superjson.serialize(value));
    const toText = (value: unknown) => Buffer.concat(toChunks(value)).toString();
    const ctx = { deps: { config: { PUBLIC_CACHE_SECONDS: 60 } as ApiConfig } };
    const card = (id: string) => ({
      id,
      name: `"slot:${id}" true`, // text that looks like JSON is only text
      isLiked: false,
      isPublic: true,
      createdAt: new Date(Date.UTC(2026, 0, Number(id.length))),
      artist: { id: `artist-${id}`, isFollowed: false, tags: [true, 'x'] },
    });
    const load = async () => ({ items: [card('a'), card('bb'), card('ccc')], hasMore: false, next: null });
    type Page = Awaited<ReturnType<typeof load>>;
    const overlay = (liked: string[], followed: string[]) => async () => (page: Page) => ({
      ...page,
      items: page.items.map((c) => ({
        ...c,
        isLiked: liked.includes(c.id),
        artist: { ...c.artist, isFollowed: followed.includes(c.artist.id) },
      })),
    });
    const viewer = { userId: 'u1', role: 'user' as const };
    const alice = await publicRead(
      { ...ctx, viewer },
      'text',
      load,
      overlay(['bb'], ['artist-a', 'artist-ccc']),
    );
    const bob = await publicRead({ ...ctx, viewer }, 'text', load, overlay(['a', 'ccc'], []));
    for (const page of [alice, bob]) {
      expect(toText(page)).toBe(JSON.stringify(serialize(page)));
      expect(JSON.parse(toText(page))).toEqual(JSON.parse(JSON.stringify(superjson.serialize(page))));
    }
    expect(superjson.deserialize(JSON.parse(toText(alice)))).toEqual(alice);
    expect(alice.items.map((c) => c.isLiked)).toEqual([false, true, false]);

    const broken = await publicRead({ ...ctx, viewer }, 'text', load, async () => (page: Page) => ({
      ...page,
      items: page.items.map((c) => ({ ...c, isLiked: 'yes' as unknown as boolean })),
    }));
    expect(() => toText(broken)).toThrow('an overlay set json.items.0.isLiked to a non-boolean');
  });

  it('is bypassed with a TTL of 0', async () => {
    const cache = new PublicReadCache(0);
    let reads = 0;
    await cache.get('a', async () => ++reads);
    await cache.get('a', async () => ++reads);
    expect(reads).toBe(2);
  });
});

describe('anonymous catalogue pages', () => {
  let market: Marketplace;
  beforeAll(async () => {
    market = await startMarketplace({ PUBLIC_CACHE_SECONDS: '60' });
  });
  afterAll(async () => {
    await market.stop();
  });

  it("are served from memory to anonymous and signed-in callers alike; an artist's drafts are not", async () => {
    const artist = await addArtist(market.db);
    await addStyle(market.db, artist.id);
    expect((await market.as(null).styles.list({})).items).toHaveLength(1);
    await addStyle(market.db, artist.id);
    await addStyle(market.db, artist.id, { status: 'training' });
    expect((await market.as(null).styles.list({})).items).toHaveLength(1);
    expect((await market.as(artist.viewer).styles.list({})).items).toHaveLength(1);
    expect((await market.as(null).styles.list({ limit: 5 })).items).toHaveLength(2); // another key
    const drafts = market.as(artist.viewer).styles.list({ artistId: artist.id, status: 'training' });
    expect((await drafts).items).toHaveLength(1);
    await addStyle(market.db, artist.id, { status: 'training' });
    expect(
      (await market.as(artist.viewer).styles.list({ artistId: artist.id, status: 'training' })).items,
    ).toHaveLength(2);
  });
});
