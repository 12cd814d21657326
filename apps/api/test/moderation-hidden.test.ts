// What a moderator hides stays hidden whatever its owner does, until a moderator unhides it.
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
let admin: TestUser;
let artist: TestUser;

beforeAll(async () => {
  market = await startMarketplace();
  admin = await addUser(market.db, { role: 'admin' });
  artist = await addArtist(market.db);
});
afterAll(async () => {
  await market.stop();
});

const notificationTypesOf = async (user: TestUser) =>
  (await market.as(user.viewer).notifications.list({ limit: 50 })).items.map((n) => [n.type, n.targetId]);

describe('a generation hidden by moderation', () => {
  it('leaves the feed, the profile and the detail page, and its owner cannot publish it again until a moderator unhides it', async () => {
    const style = await addStyle(market.db, artist.id);
    const owner = await addUser(market.db);
    const stranger = await addUser(market.db);
    const generation = await addGeneration(market.db, {
      userId: owner.id,
      styleId: style.id,
      isPublic: true,
    });
    const generationId = generation.id;
    const inFeed = async () =>
      (await market.as(stranger.viewer).generations.feed({ limit: 100 })).items.some(
        (g) => g.id === generationId,
      );
    const publicCount = async () =>
      (await market.as(null).users.byId({ userId: owner.id })).stats.publicGenerations;
    expect(await inFeed()).toBe(true);
    expect(await publicCount()).toBe(1);

    await market.as(admin.viewer).moderation.hideGeneration({ generationId, note: 'Harmful.' });
    const hiddenFromPublic = async () => {
      expect(await inFeed()).toBe(false);
      expect(await publicCount()).toBe(0);
      expect(await codeOf(market.as(stranger.viewer).generations.byId({ generationId }))).toBe(
        'GENERATION_NOT_FOUND',
      );
      expect(await codeOf(market.as(null).comments.list({ generationId }))).toBe('GENERATION_NOT_FOUND');
    };
    await hiddenFromPublic();
    // The owner keeps it and sees why it is gone.
    expect(await market.as(owner.viewer).generations.byId({ generationId })).toMatchObject({
      owner: { isPublic: false, moderationHidden: true },
    });

    // Whatever the owner does, it stays hidden.
    const asOwner = market.as(owner.viewer).generations;
    expect(await codeOf(asOwner.update({ generationId, isPublic: true }))).toBe('HIDDEN_BY_MODERATION');
    expect(await codeOf(asOwner.update({ generationId, isPublic: true, isHidden: false }))).toBe(
      'HIDDEN_BY_MODERATION',
    );
    await asOwner.update({ generationId, isHidden: true });
    await asOwner.update({ generationId, isHidden: false, description: 'please look again' });
    expect(await asOwner.byId({ generationId })).toMatchObject({
      description: 'please look again',
      owner: { isPublic: false, isHidden: false, moderationHidden: true },
    });
    await hiddenFromPublic();
    expect(
      await codeOf(market.as(admin.viewer).moderation.hideGeneration({ generationId, note: 'again' })),
    ).toBe('CONFLICT');

    // A moderator's unhide lifts it; publishing is the owner's choice again.
    await market.as(admin.viewer).moderation.unhideGeneration({ generationId, note: 'Appeal granted.' });
    expect(await inFeed()).toBe(false);
    await asOwner.update({ generationId, isPublic: true });
    expect(await inFeed()).toBe(true);
    expect(await market.as(stranger.viewer).generations.byId({ generationId })).toMatchObject({
      id: generationId,
    });

    expect(await notificationTypesOf(owner)).toEqual(
      expect.arrayContaining([
        ['generation_hidden', generationId],
        ['generation_unhidden', generationId],
      ]),
    );
    const audit = await market
      .as(admin.viewer)
      .moderation.auditLog({ targetType: 'generation', targetId: generationId });
    expect(audit.items.map((entry) => entry.kind)).toEqual(['unhide_generation', 'hide_generation']);
    expect(
      await codeOf(market.as(owner.viewer).moderation.unhideGeneration({ generationId, note: 'mine' })),
    ).toBe('FORBIDDEN');
  });
});

describe('a comment hidden by moderation', () => {
  it('leaves the thread with its replies and the count, cannot be edited or replied to, and comes back on unhide', async () => {
    const style = await addStyle(market.db, artist.id);
    const owner = await addUser(market.db);
    const author = await addUser(market.db);
    const replier = await addUser(market.db);
    const { id: generationId } = await addGeneration(market.db, {
      userId: owner.id,
      styleId: style.id,
      isPublic: true,
    });
    const comment = await market.as(author.viewer).comments.create({ generationId, content: 'buy my stuff' });
    const reply = await market
      .as(replier.viewer)
      .comments.create({ generationId, content: 'no', parentId: comment.id });
    const other = await market.as(replier.viewer).comments.create({ generationId, content: 'lovely' });
    const shown = async () => {
      const page = await market.as(null).comments.list({ generationId });
      return page.items.flatMap((c) => [c.id, ...c.replies.map((r) => r.id)]).sort();
    };
    const commentCount = async () => (await market.as(null).generations.byId({ generationId })).commentCount;
    expect(await commentCount()).toBe(3);

    await market.as(admin.viewer).moderation.hideComment({ commentId: comment.id, note: 'Spam.' });
    expect(await shown()).toEqual([other.id]);
    expect(await commentCount()).toBe(1);
    expect(await findCounterDrift(market.db)).toEqual([]);

    // Its author cannot edit it back into view; nobody can reply to it.
    expect(
      await codeOf(market.as(author.viewer).comments.update({ commentId: comment.id, content: 'hello' })),
    ).toBe('HIDDEN_BY_MODERATION');
    expect(
      await codeOf(
        market.as(replier.viewer).comments.create({ generationId, content: 'again', parentId: comment.id }),
      ),
    ).toBe('COMMENT_NOT_FOUND');
    // A reply hidden on its own while its parent is hidden changes no count.
    await market.as(admin.viewer).moderation.hideComment({ commentId: reply.id, note: 'Rude.' });
    expect(await commentCount()).toBe(1);

    await market
      .as(admin.viewer)
      .moderation.unhideComment({ commentId: comment.id, note: 'Appeal granted.' });
    expect(await shown()).toEqual([comment.id, other.id].sort());
    expect(await commentCount()).toBe(2);
    await market.as(admin.viewer).moderation.unhideComment({ commentId: reply.id, note: 'Fine.' });
    expect(await shown()).toEqual([comment.id, reply.id, other.id].sort());
    expect(await commentCount()).toBe(3);
    // Not marked as edited by the hide and unhide.
    const thread = (await market.as(null).comments.list({ generationId })).items.find(
      (c) => c.id === comment.id,
    );
    expect(thread?.edited).toBe(false);

    // Deleting a thread with a hidden reply takes only what was shown off the count.
    await market.as(admin.viewer).moderation.hideComment({ commentId: reply.id, note: 'Rude.' });
    expect(await commentCount()).toBe(2);
    await market.as(author.viewer).comments.delete({ commentId: comment.id });
    expect(await commentCount()).toBe(1);
    expect(await findCounterDrift(market.db)).toEqual([]);

    expect(await notificationTypesOf(author)).toEqual(
      expect.arrayContaining([
        ['comment_hidden', generationId],
        ['comment_unhidden', generationId],
      ]),
    );
  });
});
