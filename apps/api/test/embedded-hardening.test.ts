import { networkInterfaces } from 'node:os';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedServer, type EmbeddedServer } from './embedded-server';
import { Browser } from './http-client';

// One embedded server for the file: starting one (PGlite, demo seed, synthetic model) is the slow part.
let server: EmbeddedServer;
beforeAll(async () => {
  server = await startEmbeddedServer({
    // Pages straight from the database, so a broken connection cannot hide behind the page cache.
    PUBLIC_CACHE_SECONDS: '0',
    RATE_LIMIT_SIGN_IN: '100000/60',
    RATE_LIMIT_ANONYMOUS: '100000/60',
    RATE_LIMIT_USER: '100000/60',
  });
}, 300_000);
afterAll(() => server?.stop());

async function signedIn(username: string) {
  const browser = new Browser(server.url);
  const result = await browser.mutate<{ userId: string }>('auth.devSignIn', { username });
  expect(result.status).toBe(200);
  return browser;
}

type Page = { items: Array<{ id: string }> };
async function catalogueAndFeed(browser: Browser) {
  const styles = await browser.query<Page>('styles.list', {});
  const feed = await browser.query<Page>('generations.feed', {});
  return {
    statuses: [styles.status, feed.status],
    styles: styles.data?.items.map((style) => style.id),
    feed: feed.data?.items.map((generation) => generation.id),
  };
}

describe('embedded server: one failed query', () => {
  it('keeps serving the catalogue and the feed after a statement the database refused', async () => {
    await signedIn('mina_taken');
    const renamer = await signedIn('renamer_one');
    const before = await catalogueAndFeed(renamer);
    expect(before.statuses).toEqual([200, 200]);
    expect(before.styles?.length).toBeGreaterThan(0); // the demo marketplace
    expect(before.feed?.length).toBeGreaterThan(0);

    // The unique index refuses the name: 409, and the database saw an error outside a transaction.
    const taken = await renamer.mutate('users.updateMe', { username: 'mina_taken' });
    expect(taken.status).toBe(409);

    for (let round = 0; round < 3; round++) {
      expect(await catalogueAndFeed(renamer)).toEqual(before);
      expect(await catalogueAndFeed(new Browser(server.url))).toEqual(before);
    }
  });
});

describe('embedded server: where it listens', () => {
  it('answers on loopback only by default (the dev sign-in is on)', async () => {
    expect((await fetch(`${server.url}/api/health`)).status).toBe(200);
    const outward = Object.values(networkInterfaces())
      .flat()
      .filter((address) => address && !address.internal && address.family === 'IPv4')
      .map((address) => address!.address);
    expect(outward.length, 'this machine needs a non-loopback IPv4 address to tell').toBeGreaterThan(0);
    for (const address of outward) {
      await expect(fetch(`http://${address}:${server.port}/api/health`)).rejects.toThrow();
    }
  });
});
