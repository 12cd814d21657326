import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Viewer } from '../src/trpc/context';
import {
  addArtist,
  addGeneration,
  addStyle,
  addUser,
  codeOf,
  startMarketplace,
  type Caller,
  type Marketplace,
} from './marketplace';

// Every procedure that takes an id, called (a) with no session and (b) by a signed-in stranger on
// the owner's private resource. Each row names the codes a user must see; none may succeed.
let market: Marketplace;
let ids: {
  privateGeneration: string;
  comment: string;
  notification: string;
  trainingStyle: string;
  style: string;
  upload: string;
};
let owner: Viewer;
let stranger: Viewer;

beforeAll(async () => {
  market = await startMarketplace();
  const artist = await addArtist(market.db);
  const fan = await addUser(market.db);
  owner = artist.viewer;
  stranger = (await addArtist(market.db)).viewer;
  const style = await addStyle(market.db, artist.id);
  const trainingStyle = await addStyle(market.db, artist.id, { status: 'training' });
  const privateGeneration = await addGeneration(market.db, { userId: artist.id, styleId: style.id });
  const comment = await market
    .as(owner)
    .comments.create({ generationId: privateGeneration.id, content: 'mine' });
  await market.as(fan.viewer).follows.follow({ userId: artist.id });
  const notification = (await market.as(owner).notifications.list({})).items[0]!.id;
  const { uploadId } = await market
    .as(owner)
    .styles.uploadUrls({ images: Array(10).fill({ contentType: 'image/png' }) });
  ids = {
    privateGeneration: privateGeneration.id,
    comment: comment.id,
    notification,
    trainingStyle: trainingStyle.id,
    style: style.id,
    upload: uploadId,
  };
});
afterAll(async () => {
  await market.stop();
});

type Case = [name: string, call: (api: Caller) => Promise<unknown>, anonymous: string, stranger: string];

const cases: Case[] = [
  [
    'generations.byId',
    (api) => api.generations.byId({ generationId: ids.privateGeneration }),
    'GENERATION_NOT_FOUND',
    'GENERATION_NOT_FOUND',
  ],
  [
    'generations.update',
    (api) => api.generations.update({ generationId: ids.privateGeneration, isPublic: true }),
    'UNAUTHORIZED',
    'GENERATION_NOT_FOUND',
  ],
  [
    'generations.onProgress',
    (api) => api.generations.onProgress({ generationId: ids.privateGeneration }).then(first),
    'UNAUTHORIZED',
    'GENERATION_NOT_FOUND',
  ],
  [
    'likes.like',
    (api) => api.likes.like({ generationId: ids.privateGeneration }),
    'UNAUTHORIZED',
    'GENERATION_NOT_FOUND',
  ],
  [
    'likes.unlike',
    (api) => api.likes.unlike({ generationId: ids.privateGeneration }),
    'UNAUTHORIZED',
    'GENERATION_NOT_FOUND',
  ],
  [
    'comments.list',
    (api) => api.comments.list({ generationId: ids.privateGeneration }),
    'GENERATION_NOT_FOUND',
    'GENERATION_NOT_FOUND',
  ],
  [
    'comments.create',
    (api) => api.comments.create({ generationId: ids.privateGeneration, content: 'x' }),
    'UNAUTHORIZED',
    'GENERATION_NOT_FOUND',
  ],
  [
    'comments.create reply',
    (api) =>
      api.comments.create({ generationId: ids.privateGeneration, content: 'x', parentId: ids.comment }),
    'UNAUTHORIZED',
    'GENERATION_NOT_FOUND',
  ],
  [
    'comments.update',
    (api) => api.comments.update({ commentId: ids.comment, content: 'x' }),
    'UNAUTHORIZED',
    'COMMENT_NOT_FOUND',
  ],
  [
    'comments.delete',
    (api) => api.comments.delete({ commentId: ids.comment }),
    'UNAUTHORIZED',
    'COMMENT_NOT_FOUND',
  ],
  [
    'notifications.markRead',
    (api) => api.notifications.markRead({ notificationId: ids.notification }),
    'UNAUTHORIZED',
    'NOT_FOUND',
  ],
  [
    'styles.byId (training)',
    (api) => api.styles.byId({ styleId: ids.trainingStyle }),
    'STYLE_NOT_FOUND',
    'STYLE_NOT_FOUND',
  ],
  [
    'styles.update',
    (api) => api.styles.update({ styleId: ids.style, generationCostTokens: 1 }),
    'UNAUTHORIZED',
    'STYLE_NOT_FOUND',
  ],
  [
    'styles.deactivate',
    (api) => api.styles.deactivate({ styleId: ids.style }),
    'UNAUTHORIZED',
    'STYLE_NOT_FOUND',
  ],
  [
    'styles.onProgress',
    (api) => api.styles.onProgress({ styleId: ids.trainingStyle }).then(first),
    'UNAUTHORIZED',
    'STYLE_NOT_FOUND',
  ],
  [
    'styles.create (their upload)',
    (api) => api.styles.create(styleInput(ids.upload)),
    'UNAUTHORIZED',
    'FORBIDDEN',
  ],
  [
    'styles.list (their drafts)',
    (api) => api.styles.list({ artistId: owner.userId, status: 'training' }),
    'FORBIDDEN',
    'FORBIDDEN',
  ],
  ['follows.unfollow', (api) => api.follows.unfollow({ userId: owner.userId }), 'UNAUTHORIZED', 'RESOLVED'],
];

/** A subscription's guard runs when it is first pulled. */
async function first(iterable: AsyncIterable<unknown>): Promise<unknown> {
  for await (const value of iterable) return value;
  return undefined;
}

function styleInput(uploadId: string) {
  return {
    uploadId,
    name: 'stolen',
    description: '',
    generationCostTokens: 1,
    licenseType: 'personal' as const,
    tags: [],
    artworks: Array.from({ length: 10 }, (_, index) => ({ index })),
  };
}

describe('authorization on every procedure that takes an id', () => {
  it.each(cases)('%s', async (_name, call, anonymousCode, strangerCode) => {
    expect(await codeOf(call(market.as(null)))).toBe(anonymousCode);
    expect(await codeOf(call(market.as(stranger)))).toBe(strangerCode);
  });

  it('leaves the owner’s things untouched', async () => {
    const generation = await market.as(owner).generations.byId({ generationId: ids.privateGeneration });
    expect(generation.owner?.isPublic).toBe(false);
    expect(generation.likeCount).toBe(0);
    expect(
      (await market.as(owner).comments.list({ generationId: ids.privateGeneration })).items[0]!.content,
    ).toBe('mine');
    expect((await market.as(owner).styles.byId({ styleId: ids.style })).isActive).toBe(true);
    expect((await market.as(owner).notifications.unreadCount()).count).toBe(1);
  });
});
