import { findCounterDrift } from '@stylelicense/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addArtist,
  addGeneration,
  addStyle,
  addUser,
  codeOf,
  startMarketplace,
  type Marketplace,
  type TestUser,
} from './marketplace';

let market: Marketplace;
let artist: TestUser & { artistName: string };
let styleId: string;

beforeAll(async () => {
  market = await startMarketplace();
  artist = await addArtist(market.db);
  styleId = (await addStyle(market.db, artist.id)).id;
});
afterAll(async () => {
  await market.stop();
});

describe('follows', () => {
  it('follows an artist once, counts it, notifies them, and unfollows', async () => {
    const fan = await addUser(market.db);
    await market.as(fan.viewer).follows.follow({ userId: artist.id });
    expect(await codeOf(market.as(fan.viewer).follows.follow({ userId: artist.id }))).toBe(
      'DUPLICATE_FOLLOW',
    );
    const following = await market.as(fan.viewer).follows.following({});
    expect(following.items.map((u) => u.id)).toEqual([artist.id]);
    expect(following.items[0]!.artistName).toBe(artist.artistName);
    const followers = await market.as(artist.viewer).follows.followers({});
    expect(followers.items.map((u) => u.id)).toContain(fan.id);
    const notes = await market.as(artist.viewer).notifications.list({});
    expect(notes.items.some((n) => n.type === 'follow' && n.actor?.id === fan.id)).toBe(true);

    await market.as(fan.viewer).follows.unfollow({ userId: artist.id });
    await market.as(fan.viewer).follows.unfollow({ userId: artist.id });
    expect((await market.as(fan.viewer).follows.following({})).items).toEqual([]);
    expect(await findCounterDrift(market.db)).toEqual([]);
  });

  it('refuses self-follow, unknown users and anonymous callers', async () => {
    const user = await addUser(market.db);
    expect(await codeOf(market.as(user.viewer).follows.follow({ userId: user.id }))).toBe(
      'SELF_FOLLOW_NOT_ALLOWED',
    );
    expect(await codeOf(market.as(user.viewer).follows.follow({ userId: crypto.randomUUID() }))).toBe(
      'NOT_FOUND',
    );
    expect(await codeOf(market.as(null).follows.follow({ userId: artist.id }))).toBe('UNAUTHORIZED');
    expect(await codeOf(market.as(null).follows.following({}))).toBe('UNAUTHORIZED');
    expect(await codeOf(market.as(user.viewer).follows.follow({ userId: 'not-a-uuid' }))).toBe(
      'VALIDATION_ERROR',
    );
  });

  it('keeps follower_count exact when 50 users follow the same artist at once', async () => {
    const star = await addArtist(market.db);
    const fans = await Promise.all(Array.from({ length: 50 }, () => addUser(market.db)));
    await Promise.all(fans.map((fan) => market.as(fan.viewer).follows.follow({ userId: star.id })));
    const row = await market.db.artist.findUniqueOrThrow({ where: { userId: star.id } });
    expect(row.followerCount).toBe(50);
    // Half unfollow while the other half try to follow again (duplicates) at the same time.
    const results = await Promise.allSettled(
      fans.map((fan, i) =>
        i % 2
          ? market.as(fan.viewer).follows.unfollow({ userId: star.id })
          : market.as(fan.viewer).follows.follow({ userId: star.id }),
      ),
    );
    expect(results.filter((r) => r.status === 'rejected')).toHaveLength(25);
    expect((await market.db.artist.findUniqueOrThrow({ where: { userId: star.id } })).followerCount).toBe(25);
    expect(await findCounterDrift(market.db)).toEqual([]);
  });
});

describe('likes', () => {
  it('likes a public generation once, notifies the owner once however often it is toggled', async () => {
    const owner = await addUser(market.db);
    const fan = await addUser(market.db);
    const generation = await addGeneration(market.db, { userId: owner.id, styleId, isPublic: true });
    const input = { generationId: generation.id };
    expect(await market.as(fan.viewer).likes.like(input)).toEqual({ liked: true, likeCount: 1 });
    expect(await codeOf(market.as(fan.viewer).likes.like(input))).toBe('DUPLICATE_LIKE');
    expect(await market.as(fan.viewer).likes.unlike(input)).toEqual({ liked: false, likeCount: 0 });
    expect(await market.as(fan.viewer).likes.like(input)).toEqual({ liked: true, likeCount: 1 });
    const likes = (await market.as(owner.viewer).notifications.list({})).items.filter(
      (n) => n.type === 'like',
    );
    expect(likes).toHaveLength(1);
    expect(likes[0]).toMatchObject({
      actor: { id: fan.id },
      targetType: 'generation',
      targetId: generation.id,
    });
  });

  it('lets owners like their own private generation without notifying themselves', async () => {
    const owner = await addUser(market.db);
    const generation = await addGeneration(market.db, { userId: owner.id, styleId });
    await market.as(owner.viewer).likes.like({ generationId: generation.id });
    expect((await market.as(owner.viewer).notifications.unreadCount()).count).toBe(0);
  });

  it("refuses another user's private generation as if it did not exist, and anonymous callers", async () => {
    const owner = await addUser(market.db);
    const other = await addUser(market.db);
    const generation = await addGeneration(market.db, { userId: owner.id, styleId });
    expect(await codeOf(market.as(other.viewer).likes.like({ generationId: generation.id }))).toBe(
      'GENERATION_NOT_FOUND',
    );
    expect(await codeOf(market.as(other.viewer).likes.unlike({ generationId: generation.id }))).toBe(
      'GENERATION_NOT_FOUND',
    );
    expect(await codeOf(market.as(null).likes.like({ generationId: generation.id }))).toBe('UNAUTHORIZED');
    expect(await codeOf(market.as(other.viewer).likes.like({ generationId: crypto.randomUUID() }))).toBe(
      'GENERATION_NOT_FOUND',
    );
  });

  it('keeps like_count exact when 100 users like and unlike the same generation at once', async () => {
    const owner = await addUser(market.db);
    const generation = await addGeneration(market.db, { userId: owner.id, styleId, isPublic: true });
    const fans = await Promise.all(Array.from({ length: 100 }, () => addUser(market.db)));
    const input = { generationId: generation.id };
    // Everyone likes; the first 60 also unlike right away, racing the others' likes.
    await Promise.all(
      fans.map(async (fan, i) => {
        await market.as(fan.viewer).likes.like(input);
        if (i < 60) await market.as(fan.viewer).likes.unlike(input);
      }),
    );
    const row = await market.db.generation.findUniqueOrThrow({ where: { id: generation.id } });
    expect(row.likeCount).toBe(40);
    expect(await market.db.like.count({ where: { generationId: generation.id } })).toBe(40);
    expect(await findCounterDrift(market.db)).toEqual([]);
    // One notification per liker, not per toggle.
    expect(await market.db.notification.count({ where: { recipientId: owner.id, type: 'like' } })).toBe(100);
  });
});

describe('comments', () => {
  it('threads one level of replies, counts them, and notifies owner and parent author', async () => {
    const owner = await addUser(market.db);
    const alice = await addUser(market.db);
    const bob = await addUser(market.db);
    const generation = await addGeneration(market.db, { userId: owner.id, styleId, isPublic: true });
    const top = await market
      .as(alice.viewer)
      .comments.create({ generationId: generation.id, content: '  Lovely colours  ' });
    expect(top.content).toBe('Lovely colours');
    const reply = await market
      .as(bob.viewer)
      .comments.create({ generationId: generation.id, content: 'Agreed', parentId: top.id });
    expect(
      await codeOf(
        market
          .as(bob.viewer)
          .comments.create({ generationId: generation.id, content: 'deeper', parentId: reply.id }),
      ),
    ).toBe('REPLY_DEPTH_EXCEEDED');
    expect(
      await codeOf(
        market
          .as(bob.viewer)
          .comments.create({ generationId: generation.id, content: 'x', parentId: crypto.randomUUID() }),
      ),
    ).toBe('COMMENT_NOT_FOUND');
    expect(
      await codeOf(market.as(bob.viewer).comments.create({ generationId: generation.id, content: '   ' })),
    ).toBe('VALIDATION_ERROR');

    const page = await market.as(null).comments.list({ generationId: generation.id });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.replies.map((r) => r.content)).toEqual(['Agreed']);
    expect(
      (await market.db.generation.findUniqueOrThrow({ where: { id: generation.id } })).commentCount,
    ).toBe(2);
    expect(await market.db.notification.count({ where: { recipientId: owner.id, type: 'comment' } })).toBe(2);
    expect(await market.db.notification.count({ where: { recipientId: alice.id, type: 'comment' } })).toBe(1);
  });

  it('lets only the author edit; the author or an admin deletes with replies', async () => {
    const owner = await addUser(market.db);
    const author = await addUser(market.db);
    const stranger = await addUser(market.db);
    const admin = await addUser(market.db, { role: 'admin' });
    const generation = await addGeneration(market.db, { userId: owner.id, styleId, isPublic: true });
    const top = await market
      .as(author.viewer)
      .comments.create({ generationId: generation.id, content: 'first' });
    await market
      .as(stranger.viewer)
      .comments.create({ generationId: generation.id, content: 'reply', parentId: top.id });

    expect(
      await codeOf(market.as(stranger.viewer).comments.update({ commentId: top.id, content: 'hacked' })),
    ).toBe('COMMENT_NOT_FOUND');
    expect(await codeOf(market.as(null).comments.update({ commentId: top.id, content: 'hacked' }))).toBe(
      'UNAUTHORIZED',
    );
    const edited = await market
      .as(author.viewer)
      .comments.update({ commentId: top.id, content: 'first, edited' });
    expect(edited.content).toBe('first, edited');

    expect(await codeOf(market.as(stranger.viewer).comments.delete({ commentId: top.id }))).toBe(
      'COMMENT_NOT_FOUND',
    );
    expect(await codeOf(market.as(null).comments.delete({ commentId: top.id }))).toBe('UNAUTHORIZED');
    expect(await market.as(admin.viewer).comments.delete({ commentId: top.id })).toEqual({ deleted: 2 });
    expect(
      (await market.db.generation.findUniqueOrThrow({ where: { id: generation.id } })).commentCount,
    ).toBe(0);

    const mine = await market
      .as(author.viewer)
      .comments.create({ generationId: generation.id, content: 'again' });
    expect(await market.as(author.viewer).comments.delete({ commentId: mine.id })).toEqual({ deleted: 1 });
    expect(await findCounterDrift(market.db)).toEqual([]);
  });

  it('hides comments of private generations from others', async () => {
    const owner = await addUser(market.db);
    const other = await addUser(market.db);
    const generation = await addGeneration(market.db, { userId: owner.id, styleId });
    expect(
      await codeOf(market.as(other.viewer).comments.create({ generationId: generation.id, content: 'hi' })),
    ).toBe('GENERATION_NOT_FOUND');
    expect(await codeOf(market.as(null).comments.list({ generationId: generation.id }))).toBe(
      'GENERATION_NOT_FOUND',
    );
    await market.as(owner.viewer).comments.create({ generationId: generation.id, content: 'note to self' });
    expect((await market.as(owner.viewer).comments.list({ generationId: generation.id })).items).toHaveLength(
      1,
    );
  });

  it('keeps comment_count exact when replies race the deletion of their parent', async () => {
    const owner = await addUser(market.db);
    const generation = await addGeneration(market.db, { userId: owner.id, styleId, isPublic: true });
    const users = await Promise.all(Array.from({ length: 20 }, () => addUser(market.db)));
    const top = await market
      .as(owner.viewer)
      .comments.create({ generationId: generation.id, content: 'thread' });
    await Promise.allSettled([
      ...users.map((u) =>
        market
          .as(u.viewer)
          .comments.create({ generationId: generation.id, content: 'reply', parentId: top.id }),
      ),
      market.as(owner.viewer).comments.delete({ commentId: top.id }),
    ]);
    expect(await findCounterDrift(market.db)).toEqual([]);
  });
});

describe('notifications', () => {
  it('lists (cursor, unread only), counts, marks one and all read; only for the recipient', async () => {
    const me = await addUser(market.db);
    const fans = await Promise.all(Array.from({ length: 5 }, () => addUser(market.db)));
    for (const fan of fans) await market.as(fan.viewer).follows.follow({ userId: me.id });
    const first = await market.as(me.viewer).notifications.list({ limit: 3 });
    expect(first.items).toHaveLength(3);
    expect(first.hasMore).toBe(true);
    const second = await market.as(me.viewer).notifications.list({ limit: 3, cursor: first.nextCursor });
    expect(second.items).toHaveLength(2);
    expect(second.hasMore).toBe(false);
    expect(new Set([...first.items, ...second.items].map((n) => n.actor?.id))).toEqual(
      new Set(fans.map((f) => f.id)),
    );
    expect((await market.as(me.viewer).notifications.unreadCount()).count).toBe(5);

    const other = await addUser(market.db);
    expect(
      await codeOf(market.as(other.viewer).notifications.markRead({ notificationId: first.items[0]!.id })),
    ).toBe('NOT_FOUND');
    expect(await codeOf(market.as(null).notifications.markRead({ notificationId: first.items[0]!.id }))).toBe(
      'UNAUTHORIZED',
    );
    await market.as(me.viewer).notifications.markRead({ notificationId: first.items[0]!.id });
    expect((await market.as(me.viewer).notifications.unreadCount()).count).toBe(4);
    expect((await market.as(me.viewer).notifications.list({ unreadOnly: true })).items).toHaveLength(4);
    expect(await market.as(me.viewer).notifications.markAllRead()).toEqual({ updated: 4 });
    expect((await market.as(me.viewer).notifications.unreadCount()).count).toBe(0);
  });
});
