import sharp from 'sharp';
import { storageKeys } from '@stylelicense/storage';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';
import { Browser, devSignedIn } from './http-client';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi({
    RATE_LIMIT_ANONYMOUS: '10000/60',
    RATE_LIMIT_USER: '10000/60',
    RATE_LIMIT_SIGN_IN: '10000/60',
  });
});
afterAll(() => api.stop());

const signedIn = (username: string) => devSignedIn(api.url, username);

/** A 256×96 signature: dark strokes on a transparent background. */
async function signaturePng(): Promise<string> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="256" height="96"><path d="M10 70 C 60 10, 120 90, 240 30" stroke="#111" stroke-width="8" fill="none"/></svg>`;
  return (await sharp(Buffer.from(svg)).png().toBuffer()).toString('base64');
}

describe('profiles', () => {
  it('shows a public profile with stats and no private fields', async () => {
    const { userId } = await signedIn('profile_owner');
    const anonymous = new Browser(api.url);
    const profile = await anonymous.query<Record<string, unknown>>('users.byId', { userId });
    expect(profile.data).toMatchObject({
      id: userId,
      username: 'profile_owner',
      role: 'user',
      artist: null,
      stats: { generations: 0, publicGenerations: 0, following: 0 },
    });
    expect(profile.data).not.toHaveProperty('tokenBalance');
    expect(profile.data).not.toHaveProperty('email');
    const missing = await anonymous.query('users.byId', { userId: '0190a000-0000-7000-8000-000000000000' });
    expect(missing.status).toBe(404);
  });

  it('changes username and bio within the rules', async () => {
    await signedIn('taken_name');
    const { browser } = await signedIn('renamer');
    const renamed = await browser.mutate<{ username: string; bio: string }>('users.updateMe', {
      username: 'new.name_1',
      bio: '  Painter of rain.  ',
    });
    expect(renamed.data).toMatchObject({ username: 'new.name_1', bio: 'Painter of rain.' });

    const taken = await browser.mutate('users.updateMe', { username: 'taken_name' });
    expect(taken.status).toBe(409);
    expect(taken.error?.data.code).toBe('CONFLICT');

    for (const bad of ['ab', 'has space', 'x'.repeat(51), 'emoji🙂']) {
      const refused = await browser.mutate('users.updateMe', { username: bad });
      expect(refused.status).toBe(422);
      expect(refused.error?.data.code).toBe('VALIDATION_ERROR');
      expect(refused.error?.data.issues).toMatchObject([{ path: 'username' }]);
    }
    const longBio = await browser.mutate('users.updateMe', { bio: 'x'.repeat(501) });
    expect(longBio.error?.data.code).toBe('VALIDATION_ERROR');
    const me = await browser.query<{ username: string }>('auth.me');
    expect(me.data!.username).toBe('new.name_1');
  });
});

describe('artist upgrade', () => {
  it('makes the user an artist with the signature stored privately, once', async () => {
    const { browser, userId } = await signedIn('future_artist');
    const signature = await signaturePng();
    const upgraded = await browser.mutate<{
      role: string;
      artist: { artistName: string; verifiedEmail: string; earnedTokenBalance: number };
    }>('users.upgradeToArtist', { artistName: 'Future Artist', signaturePng: signature });
    expect(upgraded.status).toBe(200);
    expect(upgraded.data).toMatchObject({
      role: 'artist',
      artist: {
        artistName: 'Future Artist',
        verifiedEmail: 'future_artist@dev.stylelicense.local',
        earnedTokenBalance: 0,
      },
    });
    const stored = await api.runtime.deps.storage.get(storageKeys.signature(userId));
    expect(stored.equals(Buffer.from(signature, 'base64'))).toBe(true);
    const artist = await api.database.db.artist.findUniqueOrThrow({ where: { userId } });
    expect(artist.signatureImage).toBe(`signatures/${userId}.png`);

    const profile = await new Browser(api.url).query<{
      role: string;
      artist: { artistName: string; followerCount: number };
    }>('users.byId', { userId });
    expect(profile.data).toMatchObject({
      role: 'artist',
      artist: { artistName: 'Future Artist', followerCount: 0 },
    });

    const again = await browser.mutate('users.upgradeToArtist', {
      artistName: 'Twice',
      signaturePng: signature,
    });
    expect(again.status).toBe(409);
    expect(again.error?.data.code).toBe('CONFLICT');
  });

  it('lets an artist replace the signature later, with the same checks; a plain user has none to replace', async () => {
    const { browser, userId } = await signedIn('resigning_artist');
    await browser.mutate('users.upgradeToArtist', {
      artistName: 'Re Signer',
      signaturePng: await signaturePng(),
    });
    const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="200" height="80"><circle cx="100" cy="40" r="30" stroke="#222" stroke-width="6" fill="none"/></svg>`;
    const second = (await sharp(Buffer.from(svg)).png().toBuffer()).toString('base64');
    const replaced = await browser.mutate('users.replaceSignature', { signaturePng: second });
    expect(replaced.status).toBe(200);
    const stored = await api.runtime.deps.storage.get(storageKeys.signature(userId));
    expect(stored.equals(Buffer.from(second, 'base64'))).toBe(true);
    const opaque = (
      await sharp({ create: { width: 200, height: 80, channels: 3, background: '#fff' } })
        .png()
        .toBuffer()
    ).toString('base64');
    const refused = await browser.mutate('users.replaceSignature', { signaturePng: opaque });
    expect(refused.status).toBe(422);
    expect((await api.runtime.deps.storage.get(storageKeys.signature(userId))).equals(stored)).toBe(true);
    const { browser: plain } = await signedIn('no_signature_here');
    expect((await plain.mutate('users.replaceSignature', { signaturePng: second })).status).toBe(403);
  });

  it('sets a profile picture from a photo: squared, served publicly at a new URL each time', async () => {
    const { browser, userId } = await signedIn('picture_owner');
    const photo = await sharp({ create: { width: 640, height: 480, channels: 3, background: '#3a7' } })
      .jpeg()
      .toBuffer();
    const set = await browser.mutate<{ profileImage: string }>('users.setProfilePicture', {
      image: photo.toString('base64'),
    });
    expect(set.status).toBe(200);
    const first = set.data!.profileImage;
    expect(first).toMatch(new RegExp(`/api/avatars/${userId}\\?v=`));
    const served = await fetch(new URL(first, api.url));
    expect(served.status).toBe(200);
    expect(served.headers.get('content-type')).toBe('image/webp');
    const picture = await sharp(Buffer.from(await served.arrayBuffer())).metadata();
    expect(picture).toMatchObject({ format: 'webp', width: 256, height: 256 });
    const profile = await new Browser(api.url).query<{ profileImage: string }>('users.byId', { userId });
    expect(profile.data?.profileImage).toBe(first);

    const again = await browser.mutate<{ profileImage: string }>('users.setProfilePicture', {
      image: photo.toString('base64'),
    });
    expect(again.data!.profileImage).not.toBe(first);
    const text = await browser.mutate('users.setProfilePicture', {
      image: Buffer.from('not a picture').toString('base64'),
    });
    expect(text.status).toBe(422);
    expect(text.error?.data.code).toBe('INVALID_IMAGE_FORMAT');
    expect((await fetch(new URL(`/api/avatars/${crypto.randomUUID()}`, api.url))).status).toBe(404);
  });

  it('refuses signatures that are not a PNG with transparency, and unverified e-mails', async () => {
    const { browser } = await signedIn('picky_artist');
    const jpeg = (
      await sharp({ create: { width: 200, height: 80, channels: 3, background: '#fff' } })
        .jpeg()
        .toBuffer()
    ).toString('base64');
    const notPng = await browser.mutate('users.upgradeToArtist', { artistName: 'Picky', signaturePng: jpeg });
    expect(notPng.error?.data).toMatchObject({ code: 'VALIDATION_ERROR', details: { reason: 'not_png' } });

    const opaque = (
      await sharp({ create: { width: 200, height: 80, channels: 3, background: '#fff' } })
        .png()
        .toBuffer()
    ).toString('base64');
    const noAlpha = await browser.mutate('users.upgradeToArtist', {
      artistName: 'Picky',
      signaturePng: opaque,
    });
    expect(noAlpha.error?.data.details?.reason).toBe('no_alpha');

    const unverified = await browser.mutate('users.upgradeToArtist', {
      artistName: 'Picky',
      email: 'someone@else.com',
      signaturePng: await signaturePng(),
    });
    expect(unverified.error?.data).toMatchObject({ code: 'VALIDATION_ERROR', details: { field: 'email' } });

    const me = await browser.query<{ role: string; artist: unknown }>('auth.me');
    expect(me.data).toMatchObject({ role: 'user', artist: null });
  });
});

describe('following', () => {
  it('lists whom I follow, newest first, a cursor page at a time', async () => {
    const { browser, userId } = await signedIn('follower_fan');
    const followed: string[] = [];
    for (let i = 0; i < 5; i++) {
      const { userId: other } = await signedIn(`followed_${i}`);
      await api.database.db.follow.create({
        data: { followerId: userId, followingId: other, createdAt: new Date(Date.now() - (5 - i) * 1000) },
      });
      followed.push(other);
    }
    const first = await browser.query<{
      items: Array<{ user: { id: string } }>;
      nextCursor: string | null;
      hasMore: boolean;
    }>('users.following', { limit: 2 });
    expect(first.data!.items.map((i) => i.user.id)).toEqual([followed[4], followed[3]]);
    expect(first.data!.hasMore).toBe(true);
    const second = await browser.query<{ items: Array<{ user: { id: string } }>; nextCursor: string | null }>(
      'users.following',
      { limit: 2, cursor: first.data!.nextCursor },
    );
    expect(second.data!.items.map((i) => i.user.id)).toEqual([followed[2], followed[1]]);
    const last = await browser.query<{
      items: Array<{ user: { id: string } }>;
      nextCursor: string | null;
      hasMore: boolean;
    }>('users.following', { limit: 2, cursor: second.data!.nextCursor });
    expect(last.data).toMatchObject({ hasMore: false, nextCursor: null });
    expect(last.data!.items.map((i) => i.user.id)).toEqual([followed[0]]);

    const profile = await browser.query<{ stats: { following: number } }>('users.byId', { userId });
    expect(profile.data!.stats.following).toBe(5);

    const tooMany = await browser.query('users.following', { limit: 101 });
    expect(tooMany.error?.data.code).toBe('VALIDATION_ERROR');
    const forged = await browser.query('users.following', { cursor: 'not-a-cursor' });
    expect(forged.error?.data.code).toBe('VALIDATION_ERROR');
    const anonymous = await new Browser(api.url).query('users.following', {});
    expect(anonymous.error?.data.code).toBe('UNAUTHORIZED');
  });
});
