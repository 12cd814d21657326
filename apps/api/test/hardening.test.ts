// Defects found by trying the product as a user, each through the real HTTP API.
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withTransaction } from '@stylelicense/db';
import { holdForGeneration, settleGeneration } from '../src/tokens/ledger';
import { startTestApi, type TestApi } from './harness';
import { Browser, devSignedIn } from './http-client';
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

const signedIn = (username: string) => devSignedIn(api.url, username);

/** Signed in over HTTP, then made an artist (the upgrade itself has its own tests). */
async function signedInArtist(username: string) {
  const artist = await signedIn(username);
  const db = api.runtime.deps.db;
  await db.user.update({ where: { id: artist.userId }, data: { role: 'artist' } });
  await db.artist.create({
    data: {
      userId: artist.userId,
      artistName: username,
      signatureImage: `signatures/${artist.userId}.png`,
      verifiedEmail: `${username}@example.com`,
    },
  });
  return artist;
}

let artworkPng: Buffer | undefined;
/** Upload URLs over HTTP, the bytes put where they point (the browser's part), `count` artworks. */
async function staged(browser: Browser, count: number) {
  artworkPng ??= await sharp({
    create: { width: 512, height: 512, channels: 3, background: { r: 20, g: 120, b: 200 } },
  })
    .png()
    .toBuffer();
  const issued = await browser.mutate<{ uploadId: string; uploads: Array<{ key: string }> }>(
    'styles.uploadUrls',
    { images: Array.from({ length: Math.min(count, 100) }, () => ({ contentType: 'image/png' })) },
  );
  expect(issued.status).toBe(200);
  await Promise.all(
    issued.data!.uploads.map((upload) =>
      api.runtime.deps.storage.put(upload.key, artworkPng!, { contentType: 'image/png' }),
    ),
  );
  return {
    uploadId: issued.data!.uploadId,
    description: 'Soft washes',
    generationCostTokens: 3,
    licenseType: 'personal',
    tags: ['watercolor'],
    artworks: Array.from({ length: count }, (_, index) => ({ index })),
  };
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

describe('styles: names and codes', () => {
  it('takes free-text names (any language, punctuation, up to 100 characters); tags keep their rules', async () => {
    const { browser } = await signedInArtist('polyglot_artist');
    type Created = { name: string; tags: string[] };
    const korean = await browser.mutate<Created>('styles.create', {
      ...(await staged(browser, 10)),
      name: '  수채화 풍경: 봄!  ',
    });
    expect(korean.status).toBe(200);
    expect(korean.data).toMatchObject({ name: '수채화 풍경: 봄!', tags: ['watercolor'] });
    const long = 'Evening light over the harbour, painted slowly in thin glazes of ochre'.padEnd(100, '.');
    const longName = await browser.mutate<Created>('styles.create', {
      ...(await staged(browser, 10)),
      name: long,
    });
    expect(longName.status).toBe(200);
    expect(longName.data?.name).toBe(long);
    const english = await browser.mutate<Created>('styles.create', {
      ...(await staged(browser, 10)),
      name: 'Moody Ink',
    });
    expect(english.data?.tags).toEqual(['moody ink', 'watercolor']);

    const upload = await staged(browser, 10);
    for (const name of ['a\u0007b', 'line\nbreak', '   ', 'x'.repeat(101)]) {
      const refused = await browser.mutate('styles.create', { ...upload, name });
      expect(refused.status, JSON.stringify(name)).toBe(422);
      expect(refused.error?.data).toMatchObject({
        code: 'VALIDATION_ERROR',
        issues: [expect.objectContaining({ path: 'name' })],
      });
    }
    const badTag = await browser.mutate('styles.create', { ...upload, name: 'Fine', tags: ['수채화'] });
    expect(badTag.error?.data.code).toBe('INVALID_TAG_LANGUAGE');
  });

  it('refuses a second style whose name differs only by case; another artist may use it', async () => {
    const { browser } = await signedInArtist('case_artist');
    const first = await browser.mutate('styles.create', { ...(await staged(browser, 10)), name: 'Ink Wash' });
    expect(first.status).toBe(200);
    const again = await browser.mutate('styles.create', {
      ...(await staged(browser, 10)),
      name: ' INK  wash ',
    });
    expect(again.status).toBe(409);
    expect(again.error?.data).toMatchObject({ code: 'CONFLICT', details: { field: 'name' } });
    const { browser: other } = await signedInArtist('other_case_artist');
    const theirs = await other.mutate('styles.create', { ...(await staged(other, 10)), name: 'ink wash' });
    expect(theirs.status).toBe(200);
  });

  it('answers TOO_MANY_IMAGES for 101 artworks and STYLE_NOT_READY when editing a failed style', async () => {
    const { browser, userId } = await signedInArtist('prolific_artist');
    const tooMany = await browser.mutate('styles.create', { ...(await staged(browser, 101)), name: 'Many' });
    expect(tooMany.status).toBe(422);
    expect(tooMany.error?.data.code).toBe('TOO_MANY_IMAGES');

    const db = api.runtime.deps.db;
    const failed = await addStyle(db, userId, { status: 'failed' });
    const editFailed = await browser.mutate('styles.update', { styleId: failed.id, description: 'again' });
    expect(editFailed.status).toBe(422);
    expect(editFailed.error?.data).toMatchObject({
      code: 'STYLE_NOT_READY',
      details: { trainingStatus: 'failed' },
    });
    const training = await addStyle(db, userId, { status: 'training' });
    const editTraining = await browser.mutate('styles.update', { styleId: training.id, description: 'x' });
    expect(editTraining.error?.data.code).toBe('TRAINING_IN_PROGRESS');
  });
});

describe('what anonymous callers and other users see', () => {
  it("profiles count only published generations for others; following lists are their owner's", async () => {
    const db = api.runtime.deps.db;
    const { browser: owner, userId } = await signedIn('private_maker');
    const style = await addStyle(db, (await addArtist(db)).id);
    await addGeneration(db, { userId, styleId: style.id, isPublic: true });
    await addGeneration(db, { userId, styleId: style.id, isPublic: false });
    await addGeneration(db, { userId, styleId: style.id, isPublic: false });
    type Profile = { stats: { generations: number; publicGenerations: number } };
    const seenByOthers = await new Browser(api.url).query<Profile>('users.byId', { userId });
    expect(seenByOthers.data?.stats).toMatchObject({ generations: 1, publicGenerations: 1 });
    const { browser: stranger } = await signedIn('curious_stranger');
    expect((await stranger.query<Profile>('users.byId', { userId })).data?.stats.generations).toBe(1);
    expect((await owner.query<Profile>('users.byId', { userId })).data?.stats.generations).toBe(3);

    const theirs = await stranger.query('users.following', { userId });
    expect(theirs.status).toBe(403);
    expect(theirs.error?.data.code).toBe('FORBIDDEN');
    expect((await owner.query('users.following', { userId })).status).toBe(200);
  });

  it('/api/ready and /trpc/health give anonymous callers a bare status', async () => {
    const ready = await fetch(`${api.url}/api/ready`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    const health = await new Browser(api.url).query('health');
    expect(health.data).toEqual({ status: 'ok' });
  });

  it("tokens.transactions gives my results as download links and nothing of others' generations, over tRPC and REST v1", async () => {
    const db = api.runtime.deps.db;
    const { browser: artist, userId: artistId } = await signedInArtist('ledger_artist');
    const { browser: customer, userId: customerId } = await signedIn('ledger_customer');
    const style = await addStyle(db, artistId, { cost: 5 });
    const done = await addGeneration(db, { userId: customerId, styleId: style.id });
    const queued = await addGeneration(db, { userId: customerId, styleId: style.id, status: 'queued' });
    const pixels = Buffer.from('signed result');
    await api.runtime.deps.storage.put(done.resultImage!, pixels, { contentType: 'image/png' });
    for (const generation of [done, queued])
      await withTransaction(db, (tx) =>
        holdForGeneration(tx, {
          userId: customerId,
          generationId: generation.id,
          styleId: style.id,
          amount: 5,
        }),
      );
    await withTransaction(db, (tx) => settleGeneration(tx, { generationId: done.id }));

    type Entry = { type: string; generation: Record<string, unknown> | null };
    const mine = await customer.query<{ items: Entry[] }>('tokens.transactions', { type: 'generation' });
    expect(mine.data?.items.map((entry) => entry.generation)).toEqual([
      { id: queued.id, status: 'queued', resultUrl: null },
      { id: done.id, status: 'completed', resultUrl: expect.stringMatching(/^http/) },
    ]);
    const download = await fetch(mine.data!.items[1]!.generation!.resultUrl as string);
    expect(Buffer.from(await download.arrayBuffer()).equals(pixels)).toBe(true);
    expect(JSON.stringify(mine.data)).not.toContain('"results/');

    const earned = await artist.query<{ items: Entry[] }>('tokens.transactions', { type: 'generation' });
    expect(earned.data?.items).toMatchObject([{ type: 'earning', generation: null }]);
    expect(JSON.stringify(earned.data)).not.toContain(done.id);

    // The same procedure over REST v1, with a read key of each.
    const restAs = async (browser: Browser) => {
      const issued = await browser.mutate<{ key: string }>('apiKeys.create', {
        name: 'ledger',
        scopes: ['read'],
      });
      const response = await fetch(`${api.url}/api/v1/tokens/transactions?type=generation`, {
        headers: { authorization: `Bearer ${issued.data!.key}` },
      });
      expect(response.status).toBe(200);
      return (await response.json()) as { items: Entry[] };
    };
    const restMine = await restAs(customer);
    expect(restMine.items[1]?.generation).toEqual({
      id: done.id,
      status: 'completed',
      resultUrl: expect.stringMatching(/^http/),
    });
    expect(JSON.stringify(restMine)).not.toContain('"results/');
    const restEarned = await restAs(artist);
    expect(restEarned.items).toMatchObject([{ type: 'earning', generation: null }]);
    expect(JSON.stringify(restEarned)).not.toContain(done.id);
  });
});
