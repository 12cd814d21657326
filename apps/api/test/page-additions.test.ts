// What the web app's pages read besides the core lists: a style's example images and recommended
// tags, whether I follow the person whose profile I look at, and a picture beside each notification.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addArtist,
  addGeneration,
  addStyle,
  addUser,
  codeOf,
  startMarketplace,
  type Marketplace,
} from './marketplace';

let market: Marketplace;
beforeAll(async () => {
  market = await startMarketplace();
});
afterAll(() => market.stop());

async function tagged(generationId: string, names: string[]) {
  for (const [sequence, name] of names.entries()) {
    const tag = await market.db.tag.upsert({ where: { name }, create: { name }, update: {} });
    await market.db.generationTag.create({ data: { generationId, tagId: tag.id, sequence } });
  }
}

describe('a style page: examples and recommended tags', () => {
  it('shows only published images, most liked first, and suggests their tags before the style’s own', async () => {
    const artist = await addArtist(market.db);
    const style = await addStyle(market.db, artist.id);
    const own = await market.db.tag.upsert({ where: { name: 'ink' }, create: { name: 'ink' }, update: {} });
    await market.db.styleTag.create({ data: { styleId: style.id, tagId: own.id, sequence: 0 } });
    const [alice, bob] = [await addUser(market.db), await addUser(market.db)];
    const loved = await addGeneration(market.db, { userId: alice.id, styleId: style.id, isPublic: true });
    const plain = await addGeneration(market.db, { userId: bob.id, styleId: style.id, isPublic: true });
    const secret = await addGeneration(market.db, { userId: bob.id, styleId: style.id });
    await market.db.generation.update({ where: { id: loved.id }, data: { likeCount: 3 } });
    await tagged(loved.id, ['lake', 'sunset']);
    await tagged(plain.id, ['lake']);
    await tagged(secret.id, ['my_private_prompt']);

    const examples = await market.as(null).styles.examples({ styleId: style.id });
    expect(examples.map((e) => e.id)).toEqual([loved.id, plain.id]);
    expect(examples[0]).toMatchObject({
      promptTags: ['lake', 'sunset'],
      author: { id: alice.id, username: alice.username },
      imageUrl: expect.stringContaining('/api/storage/'),
    });
    expect(await market.as(null).styles.recommendedTags({ styleId: style.id })).toEqual([
      { tag: 'lake', uses: 2 },
      { tag: 'sunset', uses: 1 },
      { tag: 'ink', uses: 0 },
    ]);

    const unlisted = await addStyle(market.db, artist.id, { isActive: false });
    expect(await codeOf(market.as(null).styles.examples({ styleId: unlisted.id }))).toBe('STYLE_NOT_FOUND');
    expect(await codeOf(market.as(null).styles.recommendedTags({ styleId: unlisted.id }))).toBe(
      'STYLE_NOT_FOUND',
    );
  });
});

describe('a profile says whether I follow its person', () => {
  it('is true for a follower only, and false signed out or on my own profile', async () => {
    const artist = await addArtist(market.db);
    const [fan, stranger] = [await addUser(market.db), await addUser(market.db)];
    await market.as(fan.viewer).follows.follow({ userId: artist.id });
    expect((await market.as(fan.viewer).users.byId({ userId: artist.id })).isFollowing).toBe(true);
    expect((await market.as(stranger.viewer).users.byId({ userId: artist.id })).isFollowing).toBe(false);
    expect((await market.as(null).users.byId({ userId: artist.id })).isFollowing).toBe(false);
    expect((await market.as(artist.viewer).users.byId({ userId: artist.id })).isFollowing).toBe(false);
    await market.as(fan.viewer).follows.unfollow({ userId: artist.id });
    expect((await market.as(fan.viewer).users.byId({ userId: artist.id })).isFollowing).toBe(false);
  });
});

describe('the marketplace filtered to artists I follow', () => {
  it('lists only followed artists’ listed styles, marked followed, and asks a visitor to sign in', async () => {
    const [followed, other] = [await addArtist(market.db), await addArtist(market.db)];
    const mine = await addStyle(market.db, followed.id);
    await addStyle(market.db, followed.id, { isActive: false });
    await addStyle(market.db, other.id);
    const fan = await addUser(market.db);
    expect((await market.as(fan.viewer).styles.list({ followed: true })).items).toEqual([]);
    await market.as(fan.viewer).follows.follow({ userId: followed.id });
    const page = await market.as(fan.viewer).styles.list({ followed: true });
    expect(page.items.map((style) => style.id)).toEqual([mine.id]);
    expect(page.items[0]!.artist).toMatchObject({ id: followed.id, isFollowed: true });
    expect(await codeOf(market.as(null).styles.list({ followed: true }))).toBe('UNAUTHORIZED');
  });
});

describe('the feed after I publish', () => {
  it('shows my newly published image on my next page, though the feed page was cached just before', async () => {
    // The shared page cache on, for long enough that only the publish itself can refresh it.
    const cached = await startMarketplace({ PUBLIC_CACHE_SECONDS: '120' });
    try {
      const artist = await addArtist(cached.db);
      const style = await addStyle(cached.db, artist.id);
      const maker = await addUser(cached.db);
      const image = await addGeneration(cached.db, { userId: maker.id, styleId: style.id });
      const before = await cached.as(maker.viewer).generations.feed({});
      expect(before.items.map((g) => g.id)).not.toContain(image.id);
      await cached.as(maker.viewer).generations.update({ generationId: image.id, isPublic: true });
      const after = await cached.as(maker.viewer).generations.feed({});
      expect(after.items.map((g) => g.id)).toContain(image.id);
    } finally {
      await cached.stop();
    }
  });
});

describe('notifications carry a picture', () => {
  it('shows the image liked or commented on, and none for a follow', async () => {
    const artist = await addArtist(market.db);
    const style = await addStyle(market.db, artist.id);
    const [maker, fan] = [await addUser(market.db), await addUser(market.db)];
    const image = await addGeneration(market.db, { userId: maker.id, styleId: style.id, isPublic: true });
    await market.as(fan.viewer).likes.like({ generationId: image.id });
    await market.as(fan.viewer).comments.create({ generationId: image.id, content: 'lovely' });
    await market.as(fan.viewer).follows.follow({ userId: maker.id });

    const { items } = await market.as(maker.viewer).notifications.list({});
    const byType = new Map(items.map((n) => [n.type, n]));
    expect(byType.get('like')?.thumbnailUrl).toContain('/api/storage/');
    expect(byType.get('comment')?.thumbnailUrl).toContain('/api/storage/');
    expect(byType.get('follow')?.thumbnailUrl).toBeNull();
  });
});
