import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { moderationRouter } from '../src/moderation/router';
import {
  addArtist,
  addGeneration,
  addStyle,
  addUser,
  codeOf,
  startMarketplace,
  type Caller,
  type Marketplace,
  type TestUser,
} from './marketplace';

let market: Marketplace;
let admin: TestUser;
let artist: TestUser;
let reporter: TestUser;

beforeAll(async () => {
  market = await startMarketplace({ PROMPT_REFUSED_TERMS: 'gore, real person' });
  admin = await addUser(market.db, { role: 'admin' });
  artist = await addArtist(market.db);
  reporter = await addArtist(market.db);
});
afterAll(async () => {
  await market.stop();
});

const notificationsOf = async (user: TestUser) =>
  (await market.as(user.viewer).notifications.list({ limit: 50 })).items;

describe('reports and moderation', () => {
  it('files a report once, flags the style on it, refuses generating with it, notifies and audits', async () => {
    const style = await addStyle(market.db, artist.id, { cost: 3 });
    const claim = {
      targetType: 'style' as const,
      targetId: style.id,
      reason: 'copies_my_work' as const,
      note: 'These are my paintings from 2019.',
      evidenceLinks: ['https://portfolio.example/hana/2019'],
    };
    const report = await market.as(reporter.viewer).reports.create(claim);
    expect(report).toMatchObject({
      status: 'open',
      reason: 'copies_my_work',
      evidenceLinks: claim.evidenceLinks,
    });
    expect(await codeOf(market.as(reporter.viewer).reports.create(claim))).toBe('DUPLICATE_REPORT');

    const queue = await market.as(admin.viewer).moderation.queue({});
    const queued = queue.items.find((item) => item.id === report.id);
    expect(queued).toMatchObject({
      reporter: { id: reporter.id },
      target: { type: 'style', name: style.name, artistId: artist.id, isFlagged: false },
    });

    const action = await market
      .as(admin.viewer)
      .moderation.flagStyle({ styleId: style.id, note: 'Copies the reporter’s work.', reportId: report.id });
    expect(action).toMatchObject({ kind: 'flag_style', targetId: style.id, reportId: report.id });

    // A user with tokens is refused with the stable code, and nothing is taken.
    const buyer = await addUser(market.db, { tokens: 50 });
    expect(
      await codeOf(
        market.as(buyer.viewer).generations.create({
          styleId: style.id,
          promptTags: ['cat'],
          aspectRatio: '1:1',
          expectedCost: 3,
        }),
      ),
    ).toBe('STYLE_FLAGGED');
    expect((await market.db.user.findUniqueOrThrow({ where: { id: buyer.id } })).tokenBalance).toBe(50);

    expect(await notificationsOf(artist)).toContainEqual(
      expect.objectContaining({
        type: 'style_flagged',
        targetType: 'style',
        targetId: style.id,
        actor: expect.objectContaining({ id: admin.id }),
      }),
    );
    expect(await notificationsOf(reporter)).toContainEqual(
      expect.objectContaining({ type: 'report_resolved', targetType: 'report', targetId: report.id }),
    );
    const mine = await market.as(reporter.viewer).reports.mine({});
    expect(mine.items.find((item) => item.id === report.id)).toMatchObject({
      status: 'resolved',
      closingNote: 'Copies the reporter’s work.',
    });
    expect((await market.as(admin.viewer).moderation.queue({})).items.map((item) => item.id)).not.toContain(
      report.id,
    );

    const log = await market
      .as(admin.viewer)
      .moderation.auditLog({ targetType: 'style', targetId: style.id });
    expect(log.items).toEqual([
      expect.objectContaining({
        kind: 'flag_style',
        moderator: { id: admin.id, username: admin.username },
        note: 'Copies the reporter’s work.',
        reportId: report.id,
        details: { styleName: style.name },
      }),
    ]);
    // Append-only, whoever connects: the database refuses to edit or delete an entry.
    await expect(market.db.moderationAction.deleteMany({ where: { targetId: style.id } })).rejects.toThrow(
      /append-only/,
    );
    await expect(
      market.db.moderationAction.updateMany({ where: { targetId: style.id }, data: { note: 'nothing' } }),
    ).rejects.toThrow(/append-only/);

    // Closed reports free the pair: the reporter may report again; unflagging lets the style be used.
    expect(await codeOf(market.as(reporter.viewer).reports.create(claim))).toBe('RESOLVED');
    await market.as(admin.viewer).moderation.unflagStyle({ styleId: style.id, note: 'Licence shown.' });
    expect(
      await codeOf(
        market.as(buyer.viewer).generations.create({
          styleId: style.id,
          promptTags: ['cat'],
          aspectRatio: '1:1',
          expectedCost: 3,
        }),
      ),
    ).toBe('RESOLVED');
    expect(
      await codeOf(market.as(admin.viewer).moderation.unflagStyle({ styleId: style.id, note: 'again' })),
    ).toBe('CONFLICT');
  });

  it('hides a generation and a comment, deactivates a user, dismisses a report; each is audited', async () => {
    const style = await addStyle(market.db, artist.id);
    const owner = await addUser(market.db);
    const generation = await addGeneration(market.db, {
      userId: owner.id,
      styleId: style.id,
      isPublic: true,
    });
    const comment = await market
      .as(reporter.viewer)
      .comments.create({ generationId: generation.id, content: 'spam spam' });
    const spamReport = await market
      .as(owner.viewer)
      .reports.create({ targetType: 'comment', targetId: comment.id, reason: 'spam' });

    await market
      .as(admin.viewer)
      .moderation.hideGeneration({ generationId: generation.id, note: 'Harmful.' });
    expect(await codeOf(market.as(null).generations.byId({ generationId: generation.id }))).toBe(
      'GENERATION_NOT_FOUND',
    );
    expect(await market.as(owner.viewer).generations.byId({ generationId: generation.id })).toMatchObject({
      owner: { moderationHidden: true, isPublic: false },
    });

    await market
      .as(admin.viewer)
      .moderation.hideComment({ commentId: comment.id, note: 'Spam.', reportId: spamReport.id });
    expect((await market.as(owner.viewer).comments.list({ generationId: generation.id })).items).toEqual([]);
    expect(await notificationsOf(owner)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ type: 'generation_hidden', targetId: generation.id }),
        expect.objectContaining({ type: 'report_resolved', targetId: spamReport.id }),
      ]),
    );
    expect(await notificationsOf(reporter)).toContainEqual(
      expect.objectContaining({ type: 'comment_hidden', targetId: generation.id }),
    );

    const troll = await addUser(market.db);
    const userReport = await market
      .as(reporter.viewer)
      .reports.create({ targetType: 'user', targetId: troll.id, reason: 'other', note: 'Harasses artists.' });
    await market.as(admin.viewer).moderation.deactivateUser({ userId: troll.id, note: 'Harassment.' });
    expect((await market.db.user.findUniqueOrThrow({ where: { id: troll.id } })).isActive).toBe(false);
    await market
      .as(admin.viewer)
      .moderation.dismissReport({ reportId: userReport.id, note: 'Handled already.' });
    expect(
      await codeOf(
        market.as(admin.viewer).moderation.resolveReport({ reportId: userReport.id, note: 'twice' }),
      ),
    ).toBe('REPORT_ALREADY_CLOSED');
    expect(await notificationsOf(reporter)).toContainEqual(
      expect.objectContaining({ type: 'report_dismissed', targetId: userReport.id }),
    );

    const kinds = (await market.as(admin.viewer).moderation.auditLog({ limit: 100 })).items.map((entry) => [
      entry.kind,
      entry.targetId,
    ]);
    expect(kinds).toEqual(
      expect.arrayContaining([
        ['hide_generation', generation.id],
        ['hide_comment', comment.id],
        ['deactivate_user', troll.id],
        ['dismiss_report', troll.id],
      ]),
    );
    const hidden = (
      await market.as(admin.viewer).moderation.auditLog({ targetType: 'comment', targetId: comment.id })
    ).items[0];
    expect(hidden?.details).toMatchObject({ content: 'spam spam', generationId: generation.id });
  });

  it('refuses reports about what the reporter cannot see, and ownership claims without evidence', async () => {
    const style = await addStyle(market.db, artist.id);
    const privateGeneration = await addGeneration(market.db, { userId: artist.id, styleId: style.id });
    const api = market.as(reporter.viewer);
    expect(
      await codeOf(
        api.reports.create({ targetType: 'generation', targetId: privateGeneration.id, reason: 'harmful' }),
      ),
    ).toBe('REPORT_TARGET_NOT_FOUND');
    expect(
      await codeOf(
        api.reports.create({ targetType: 'style', targetId: crypto.randomUUID(), reason: 'spam' }),
      ),
    ).toBe('REPORT_TARGET_NOT_FOUND');
    expect(
      await codeOf(
        api.reports.create({ targetType: 'style', targetId: style.id, reason: 'ownership_claim' }),
      ),
    ).toBe('VALIDATION_ERROR');
    expect(
      await codeOf(
        market.as(null).reports.create({ targetType: 'style', targetId: style.id, reason: 'spam' }),
      ),
    ).toBe('UNAUTHORIZED');
  });

  it('refuses a generation whose prompt uses a refused term, with its code', async () => {
    const style = await addStyle(market.db, artist.id, { cost: 1 });
    const buyer = await addUser(market.db, { tokens: 10 });
    const create = (promptTags: string[], description?: string) =>
      codeOf(
        market.as(buyer.viewer).generations.create({
          styleId: style.id,
          promptTags,
          description,
          aspectRatio: '1:1',
          expectedCost: 1,
        }),
      );
    expect(await create(['forest', 'Gore'])).toBe('PROMPT_REFUSED');
    expect(await create(['portrait'], 'a REAL PERSON at the beach')).toBe('PROMPT_REFUSED');
    expect((await market.db.user.findUniqueOrThrow({ where: { id: buyer.id } })).tokenBalance).toBe(10);
    // Whole words only: "gorgeous" is not "gore".
    expect(await create(['gorgeous forest'])).toBe('RESOLVED');
  });
});

describe('moderation is for admins only', () => {
  const id = '0193a0f4-0000-7000-8000-000000000001';
  const calls: Array<[string, (api: Caller) => Promise<unknown>]> = [
    ['queue', (api) => api.moderation.queue({})],
    ['auditLog', (api) => api.moderation.auditLog({})],
    ['flagStyle', (api) => api.moderation.flagStyle({ styleId: id, note: 'x' })],
    ['unflagStyle', (api) => api.moderation.unflagStyle({ styleId: id, note: 'x' })],
    ['hideGeneration', (api) => api.moderation.hideGeneration({ generationId: id, note: 'x' })],
    ['unhideGeneration', (api) => api.moderation.unhideGeneration({ generationId: id, note: 'x' })],
    ['hideComment', (api) => api.moderation.hideComment({ commentId: id, note: 'x' })],
    ['unhideComment', (api) => api.moderation.unhideComment({ commentId: id, note: 'x' })],
    ['deactivateUser', (api) => api.moderation.deactivateUser({ userId: id, note: 'x' })],
    ['resolveReport', (api) => api.moderation.resolveReport({ reportId: id, note: 'x' })],
    ['dismissReport', (api) => api.moderation.dismissReport({ reportId: id, note: 'x' })],
  ];

  it('covers every moderation procedure', () => {
    expect(calls.map(([name]) => name).sort()).toEqual(Object.keys(moderationRouter._def.procedures).sort());
  });

  it.each(calls)(
    '%s: FORBIDDEN for users and artists, UNAUTHORIZED without a session',
    async (_name, call) => {
      expect(await codeOf(call(market.as(reporter.viewer)))).toBe('FORBIDDEN');
      expect(await codeOf(call(market.as((await addUser(market.db)).viewer)))).toBe('FORBIDDEN');
      expect(await codeOf(call(market.as(null)))).toBe('UNAUTHORIZED');
    },
  );
});
