import { findCounterDrift, findLedgerDiscrepancies } from '@stylelicense/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { creditWelcomeBonus, refundGeneration } from '../src/tokens/ledger';
import { linkGenerationTags } from '../src/styles/tags';
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
let artist: TestUser;
let styleId: string;

/** A user whose balance came through the ledger (so the books reconcile). */
async function richUser() {
  const user = await addUser(market.db);
  await market.db.$transaction((tx) => creditWelcomeBonus(tx, { userId: user.id }));
  return user;
}

beforeAll(async () => {
  market = await startMarketplace();
  artist = await addArtist(market.db);
  styleId = (await addStyle(market.db, artist.id, { cost: 30 })).id;
});
afterAll(async () => {
  await market.stop();
});

describe('generations.create', () => {
  it('holds the tokens, writes the generation, its ordered tags and the job in one go', async () => {
    const user = await richUser();
    const created = await market.as(user.viewer).generations.create({
      styleId,
      promptTags: ['Sunset', ' sea  view', 'sunset'],
      description: '바다 풍경',
      aspectRatio: '1:2',
      expectedCost: 30,
      seed: 7,
    });
    expect(created).toMatchObject({
      status: 'queued',
      aspectRatio: '1:2',
      width: 512,
      height: 1024,
      promptTags: ['sunset', 'sea view'],
      description: '바다 풍경',
      resultUrl: null,
      owner: { seed: 7, consumedTokens: 30, isPublic: false, refunded: false, failure: null },
    });
    expect((await market.db.user.findUniqueOrThrow({ where: { id: user.id } })).tokenBalance).toBe(70);
    const outbox = await market.db.outboxMessage.findUniqueOrThrow({ where: { messageId: created.id } });
    expect(outbox.destination).toBe('jobs.generation');
    expect(outbox.payload).toMatchObject({
      v: 1,
      generationId: created.id,
      styleId,
      userId: user.id,
      promptTags: ['sunset', 'sea view'],
      seed: 7,
      width: 512,
      height: 1024,
    });
    const tags = await market.db.generationTag.findMany({
      where: { generationId: created.id },
      include: { tag: true },
      orderBy: { sequence: 'asc' },
    });
    expect(tags.map((t) => [t.sequence, t.tag.name])).toEqual([
      [1, 'sunset'],
      [2, 'sea view'],
    ]);
    expect(await findLedgerDiscrepancies(market.db)).toEqual([]);
    expect(await findCounterDrift(market.db)).toEqual([]);
  });

  it('refuses without enough tokens and writes nothing', async () => {
    const poor = await addUser(market.db, { tokens: 0 });
    const before = await market.db.generation.count();
    expect(
      await codeOf(
        market
          .as(poor.viewer)
          .generations.create({ styleId, promptTags: ['cat'], aspectRatio: '1:1', expectedCost: 30 }),
      ),
    ).toBe('INSUFFICIENT_TOKENS');
    expect(await market.db.generation.count()).toBe(before);
    expect(
      await market.db.outboxMessage.count({ where: { payload: { path: ['userId'], equals: poor.id } } }),
    ).toBe(0);
  });

  it('never takes a balance below zero when submissions race', async () => {
    const user = await richUser();
    const results = await Promise.allSettled(
      Array.from({ length: 6 }, () =>
        market
          .as(user.viewer)
          .generations.create({ styleId, promptTags: ['race'], aspectRatio: '1:1', expectedCost: 30 }),
      ),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(3);
    expect((await market.db.user.findUniqueOrThrow({ where: { id: user.id } })).tokenBalance).toBe(10);
    expect(await findLedgerDiscrepancies(market.db)).toEqual([]);
  });

  it('refuses styles that are not trained, inactive or flagged, unknown styles, bad tags and input', async () => {
    // A fresh user per call: the 6-per-minute generation limit counts refused calls too.
    const call = async (input: Parameters<ReturnType<Marketplace['as']>['generations']['create']>[0]) =>
      codeOf(market.as((await richUser()).viewer).generations.create(input));
    for (const options of [{ status: 'training' as const }, { isActive: false }]) {
      const style = await addStyle(market.db, artist.id, options);
      expect(
        await call({ styleId: style.id, promptTags: ['cat'], aspectRatio: '1:1', expectedCost: 30 }),
      ).toBe('STYLE_NOT_READY');
    }
    const flagged = await addStyle(market.db, artist.id, { isFlagged: true });
    expect(
      await call({ styleId: flagged.id, promptTags: ['cat'], aspectRatio: '1:1', expectedCost: 5 }),
    ).toBe('STYLE_FLAGGED');
    expect(
      await call({ styleId: crypto.randomUUID(), promptTags: ['cat'], aspectRatio: '1:1', expectedCost: 30 }),
    ).toBe('STYLE_NOT_FOUND');
    expect(await call({ styleId, promptTags: ['고양이'], aspectRatio: '1:1', expectedCost: 30 })).toBe(
      'INVALID_TAG_LANGUAGE',
    );
    expect(await call({ styleId, promptTags: [], aspectRatio: '1:1', expectedCost: 30 })).toBe(
      'VALIDATION_ERROR',
    );
    expect(await call({ styleId, promptTags: ['cat'], aspectRatio: '3:4' as never, expectedCost: 30 })).toBe(
      'VALIDATION_ERROR',
    );
    expect(await call({ styleId, promptTags: ['cat'], aspectRatio: '1:1', expectedCost: 30, seed: -1 })).toBe(
      'VALIDATION_ERROR',
    );
    expect(
      await codeOf(
        market
          .as(null)
          .generations.create({ styleId, promptTags: ['cat'], aspectRatio: '1:1', expectedCost: 30 }),
      ),
    ).toBe('UNAUTHORIZED');
  });

  it('allows 6 submissions a minute per user', async () => {
    const user = await addUser(market.db, { tokens: 0 });
    const codes = [];
    for (let i = 0; i < 7; i++)
      codes.push(
        await codeOf(
          market
            .as(user.viewer)
            .generations.create({ styleId, promptTags: ['cat'], aspectRatio: '1:1', expectedCost: 30 }),
        ),
      );
    expect(codes.slice(0, 6)).toEqual(Array(6).fill('INSUFFICIENT_TOKENS'));
    expect(codes[6]).toBe('RATE_LIMIT_EXCEEDED');
  });
});

describe('generations.byId / update / mine', () => {
  it('shows the owner everything (progress, failure, refund) and others nothing until public', async () => {
    const owner = await richUser();
    const other = await addUser(market.db);
    const admin = await addUser(market.db, { role: 'admin' });
    const created = await market
      .as(owner.viewer)
      .generations.create({ styleId, promptTags: ['owl'], aspectRatio: '2:2', expectedCost: 30 });
    const id = { generationId: created.id };
    await market.db.generation.update({
      where: { id: created.id },
      data: {
        status: 'processing',
        generationProgress: { step: 5, totalSteps: 30, percent: 16.7, etaSeconds: 12 },
      },
    });
    expect((await market.as(owner.viewer).generations.byId(id)).owner?.progress).toEqual({
      step: 5,
      totalSteps: 30,
      percent: 16.7,
      etaSeconds: 12,
    });
    expect((await market.as(admin.viewer).generations.byId(id)).owner).not.toBeNull();
    expect(await codeOf(market.as(other.viewer).generations.byId(id))).toBe('GENERATION_NOT_FOUND');
    expect(await codeOf(market.as(null).generations.byId(id))).toBe('GENERATION_NOT_FOUND');

    // Others cannot publish, hide or describe it.
    expect(await codeOf(market.as(other.viewer).generations.update({ ...id, isPublic: true }))).toBe(
      'GENERATION_NOT_FOUND',
    );
    expect(await codeOf(market.as(null).generations.update({ ...id, isPublic: true }))).toBe('UNAUTHORIZED');

    // Failure and refund, as the pipeline will record them.
    await market.db.$transaction(async (tx) => {
      await tx.generation.update({
        where: { id: created.id },
        data: { status: 'failed', failure: { code: 'MODEL_MISSING', message: 'No LoRA file' } },
      });
      await refundGeneration(tx, { generationId: created.id });
    });
    expect((await market.as(owner.viewer).generations.byId(id)).owner).toMatchObject({
      failure: { code: 'MODEL_MISSING', message: 'No LoRA file' },
      refunded: true,
    });
  });

  it('publishes a completed generation with a presigned result URL, then hides it', async () => {
    const owner = await addUser(market.db);
    const other = await addUser(market.db);
    const generation = await addGeneration(market.db, { userId: owner.id, styleId });
    const id = { generationId: generation.id };
    const published = await market
      .as(owner.viewer)
      .generations.update({ ...id, isPublic: true, description: ' my owl ' });
    expect(published.owner).toMatchObject({ isPublic: true });
    expect(published.description).toBe('my owl');
    const seen = await market.as(other.viewer).generations.byId(id);
    expect(seen.owner).toBeNull();
    expect(seen.resultUrl).toMatch(/^http:\/\/127\.0\.0\.1:9\/api\/storage\/results\/.+\?/);
    expect(JSON.stringify(seen)).not.toContain(generation.resultImage!.replace(/^results\//, '"results/'));
    await market.as(owner.viewer).generations.update({ ...id, isHidden: true });
    expect(await codeOf(market.as(other.viewer).generations.byId(id))).toBe('GENERATION_NOT_FOUND');
    expect(await codeOf(market.as(owner.viewer).generations.update({ ...id, name: 'x' } as never))).toBe(
      'VALIDATION_ERROR',
    );
  });

  it('lists my generations with status and visibility filters and a cursor', async () => {
    const me = await addUser(market.db);
    const other = await addUser(market.db);
    const base = Date.now() - 60_000;
    const made = [];
    for (let i = 0; i < 5; i++) {
      made.push(
        await addGeneration(market.db, {
          userId: me.id,
          styleId,
          isPublic: i % 2 === 0,
          status: i === 4 ? 'failed' : 'completed',
          createdAt: new Date(base + i * 1000),
        }),
      );
    }
    await addGeneration(market.db, { userId: other.id, styleId, isPublic: true });
    await market.db.generation.update({ where: { id: made[0]!.id }, data: { isHidden: true } });

    const first = await market.as(me.viewer).generations.mine({ limit: 2 });
    const second = await market.as(me.viewer).generations.mine({ limit: 2, cursor: first.nextCursor });
    expect([...first.items, ...second.items].map((g) => g.id)).toEqual([
      made[4]!.id,
      made[3]!.id,
      made[2]!.id,
      made[1]!.id,
    ]);
    expect(second.hasMore).toBe(false);
    expect(
      (await market.as(me.viewer).generations.mine({ status: 'failed' })).items.map((g) => g.id),
    ).toEqual([made[4]!.id]);
    expect(
      (await market.as(me.viewer).generations.mine({ visibility: 'public' })).items.map((g) => g.id),
    ).toEqual([made[4]!.id, made[2]!.id]);
    expect(
      (await market.as(me.viewer).generations.mine({ visibility: 'hidden' })).items.map((g) => g.id),
    ).toEqual([made[0]!.id]);
    expect(await codeOf(market.as(null).generations.mine({}))).toBe('UNAUTHORIZED');
  });
});

describe('generations.feed', () => {
  it('shows public completed generations only, newest or most liked, tag-filtered, with isLiked', async () => {
    const feedStyle = await addStyle(market.db, artist.id);
    const users = await Promise.all(Array.from({ length: 3 }, () => addUser(market.db)));
    const base = Date.now() + 3_600_000; // newer than everything else in this file
    const a = await addGeneration(market.db, {
      userId: users[0]!.id,
      styleId: feedStyle.id,
      isPublic: true,
      createdAt: new Date(base),
    });
    const b = await addGeneration(market.db, {
      userId: users[1]!.id,
      styleId: feedStyle.id,
      isPublic: true,
      createdAt: new Date(base + 1000),
    });
    const c = await addGeneration(market.db, {
      userId: users[1]!.id,
      styleId: feedStyle.id,
      isPublic: true,
      createdAt: new Date(base + 2000),
    });
    await addGeneration(market.db, {
      userId: users[2]!.id,
      styleId: feedStyle.id,
      isPublic: false,
      createdAt: new Date(base + 3000),
    });
    await addGeneration(market.db, {
      userId: users[2]!.id,
      styleId: feedStyle.id,
      isPublic: true,
      status: 'queued',
      createdAt: new Date(base + 4000),
    });
    await market.db.$transaction(async (tx) => {
      await linkGenerationTags(tx, a.id, ['feedtag-x', 'feedtag-y']);
      await linkGenerationTags(tx, b.id, ['feedtag-x']);
    });
    await market.as(users[2]!.viewer).likes.like({ generationId: a.id });
    await market.as(users[1]!.viewer).likes.like({ generationId: a.id });
    await market.as(users[2]!.viewer).likes.like({ generationId: b.id });

    const recent = await market.as(users[2]!.viewer).generations.feed({ limit: 3 });
    expect(recent.items.map((g) => g.id)).toEqual([c.id, b.id, a.id]);
    expect(recent.items.map((g) => g.isLiked)).toEqual([false, true, true]);
    expect(recent.items.every((g) => g.owner === null && g.resultUrl)).toBe(true);

    const popular = await market.as(null).generations.feed({ sort: 'popular', limit: 2 });
    expect(popular.items.map((g) => g.id)).toEqual([a.id, b.id]);
    const next = await market
      .as(null)
      .generations.feed({ sort: 'popular', limit: 2, cursor: popular.nextCursor });
    expect(next.items[0]!.likeCount).toBe(0);
    expect(next.items.map((g) => g.id)).not.toContain(a.id);

    expect((await market.as(null).generations.feed({ tags: ['FEEDTAG-X'] })).items.map((g) => g.id)).toEqual([
      b.id,
      a.id,
    ]);
    expect(
      (await market.as(null).generations.feed({ tags: ['feedtag-x', 'feedtag-y'] })).items.map((g) => g.id),
    ).toEqual([a.id]);
    expect((await market.as(null).generations.feed({ tags: ['feedtag-x', 'nope-never'] })).items).toEqual([]);
    expect(await codeOf(market.as(null).generations.feed({ cursor: 'garbage' }))).toBe('VALIDATION_ERROR');

    // One person's profile: their public completed generations only.
    const byAuthor = async (userId: string) =>
      (await market.as(null).generations.feed({ authorId: userId })).items.map((g) => g.id);
    expect(await byAuthor(users[1]!.id)).toEqual([c.id, b.id]);
    expect(await byAuthor(users[2]!.id)).toEqual([]);
  });
});
