import { networkInterfaces } from 'node:os';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedServer, type EmbeddedServer } from './embedded-server';
import { Browser, devSignedIn } from './http-client';
import { SOAK_STEPS } from './embedded-soak';

// One embedded server for the file: starting one (PGlite, demo seed, synthetic model) is the slow part.
let server: EmbeddedServer;
beforeAll(async () => {
  server = await startEmbeddedServer({
    // Pages straight from the database, so a broken connection cannot hide behind the page cache.
    PUBLIC_CACHE_SECONDS: '0',
    RATE_LIMIT_SIGN_IN: '100000/60',
    RATE_LIMIT_ANONYMOUS: '100000/60',
    RATE_LIMIT_USER: '100000/60',
    RATE_LIMIT_GENERATION: '100000/60',
  });
}, 300_000);
afterAll(() => server?.stop());

const signedIn = async (username: string) => (await devSignedIn(server.url, username)).browser;

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

/** A 256×96 signature: dark strokes on a transparent background, base64 as the upgrade takes it. */
async function signaturePng(): Promise<string> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="96"><path d="M10 70 C 60 10, 120 90, 240 30" stroke="#111" stroke-width="8" fill="none"/></svg>`;
  return (await sharp(Buffer.from(svg)).png().toBuffer()).toString('base64');
}

describe('embedded server: the access log', () => {
  it('never holds a presigned storage token, for downloads or uploads', async () => {
    const feed = await new Browser(server.url).query<{ items: Array<{ resultUrl: string | null }> }>(
      'generations.feed',
      {},
    );
    const download = feed.data!.items.find((item) => item.resultUrl)!.resultUrl!;
    expect((await fetch(download)).status).toBe(200);

    const artist = await signedIn('log_artist');
    const upgraded = await artist.mutate('users.upgradeToArtist', {
      artistName: 'Log Artist',
      signaturePng: await signaturePng(),
    });
    expect(upgraded.status).toBe(200);
    const issued = await artist.mutate<{ uploads: Array<{ url: string; method: string }> }>(
      'styles.uploadUrls',
      { images: Array.from({ length: 10 }, () => ({ contentType: 'image/png' })) },
    );
    const upload = issued.data!.uploads[0]!;
    expect(upload.method).toBe('PUT');
    const png = await sharp({ create: { width: 512, height: 512, channels: 3, background: '#3a6' } })
      .png()
      .toBuffer();
    const put = await fetch(upload.url, {
      method: 'PUT',
      headers: { 'content-type': 'image/png' },
      body: png,
    });
    expect(put.status).toBeLessThan(300);

    const tokens = [download, upload.url].map((url) => new URL(url).searchParams.get('token')!);
    expect(tokens.every((token) => token.length > 20)).toBe(true);
    await expect
      .poll(async () => (await server.output()).includes(new URL(upload.url).pathname), {
        timeout: 20_000,
      })
      .toBe(true);
    const log = await server.output();
    for (const token of tokens) expect(log).not.toContain(token);
    expect(log).toContain('token=[redacted]');
  });
});

describe('embedded server: 200 bad inputs in a row', () => {
  it('answers each with a 4xx and still serves the catalogue, the feed and a generation with progress', async () => {
    const anonymous = new Browser(server.url);
    const before = await catalogueAndFeed(anonymous);
    await signedIn('soak_taken');
    const member = await signedIn('soak_member');
    const catalogue = await anonymous.query<{
      items: Array<{ id: string; generationCostTokens: number; trainingStatus: string }>;
    }>('styles.list', {});
    const style = catalogue.data!.items.find((item) => item.trainingStatus === 'completed')!;
    const feed = await anonymous.query<{ items: Array<{ id: string }> }>('generations.feed', {});
    const target = {
      url: server.url,
      member,
      takenName: 'soak_taken',
      styleId: style.id,
      price: style.generationCostTokens,
      generationId: feed.data!.items[0]!.id,
    };
    const answers: string[] = [];
    for (let n = 0; n < 200; n++) {
      const [kind, step] = SOAK_STEPS[n % SOAK_STEPS.length]!;
      const response = await step(target, n);
      await response.body?.cancel();
      answers.push(`${n} ${kind}: ${response.status}`);
      expect(response.status, answers.slice(-5).join('\n')).toBeGreaterThanOrEqual(204);
      expect(response.status, answers.slice(-5).join('\n')).toBeLessThan(500);
    }

    expect(await catalogueAndFeed(anonymous)).toEqual(before);
    expect(await catalogueAndFeed(member)).toEqual(before);

    // A real generation on the in-process worker: progress reports and completion still land.
    const created = await member.mutate<{ id: string; status: string }>('generations.create', {
      styleId: style.id,
      promptTags: ['sea', 'sunset'],
      aspectRatio: '1:1',
      expectedCost: style.generationCostTokens,
    });
    expect(created.status).toBe(200);
    type Seen = { status: string; resultUrl: string | null; owner: { progress: { percent: number } | null } };
    const seen: Seen[] = [];
    await expect
      .poll(
        async () => {
          const view = await member.query<Seen>('generations.byId', { generationId: created.data!.id });
          seen.push(view.data!);
          return view.data!.status;
        },
        { timeout: 180_000, interval: 250 },
      )
      .toBe('completed');
    expect(seen.at(-1)!.resultUrl).toMatch(/\/api\/storage\//);
    for (const view of seen) {
      const percent = view.owner.progress?.percent;
      if (percent !== undefined) expect(percent).toBeGreaterThanOrEqual(0);
      if (percent !== undefined) expect(percent).toBeLessThanOrEqual(100);
    }
    const errors = (await server.output()).split('\n').filter((line) => /"level":(50|60)/.test(line));
    expect(errors).toEqual([]);
  }, 300_000);
});
