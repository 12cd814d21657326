import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import superjson from 'superjson';
import { PublicReadCache, serializeOncePerSharedResult } from '../src/trpc/public-cache';
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
