import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMarketplaceHousekeeping } from '../src/housekeeping/marketplace';
import { purgeReadNotifications } from '../src/notifications/notifications';
import { runIdempotent } from '../src/platform/idempotency';
import { addUser, startMarketplace, type Marketplace } from './marketplace';

let market: Marketplace;
beforeAll(async () => {
  market = await startMarketplace();
});
afterAll(async () => {
  await market.stop();
});

describe('notification purge', () => {
  it('deletes read notifications older than 30 days, keeps recent and unread ones', async () => {
    const me = await addUser(market.db);
    const actor = await addUser(market.db);
    const day = 24 * 3600_000;
    const base = {
      recipientId: me.id,
      actorId: actor.id,
      type: 'follow' as const,
      targetType: 'user' as const,
      targetId: actor.id,
    };
    const old = await market.db.notification.create({
      data: { ...base, isRead: true, readAt: new Date(Date.now() - 31 * day) },
    });
    const recent = await market.db.notification.create({
      data: { ...base, isRead: true, readAt: new Date(Date.now() - 29 * day) },
    });
    const unread = await market.db.notification.create({
      data: { ...base, createdAt: new Date(Date.now() - 90 * day) },
    });
    expect(await purgeReadNotifications(market.db)).toBe(1);
    const left = await market.db.notification.findMany({
      where: { recipientId: me.id },
      select: { id: true },
    });
    expect(left.map((n) => n.id).sort()).toEqual([recent.id, unread.id].sort());
    expect(left.map((n) => n.id)).not.toContain(old.id);
  });

  it('runs on a timer and stops cleanly', async () => {
    const me = await addUser(market.db);
    await market.db.notification.create({
      data: {
        recipientId: me.id,
        actorId: null,
        type: 'generation_complete',
        targetType: 'generation',
        targetId: me.id,
        isRead: true,
        readAt: new Date(0),
      },
    });
    const housekeeping = startMarketplaceHousekeeping(market.deps, 1000);
    await expect
      .poll(() => market.db.notification.count({ where: { recipientId: me.id } }), { timeout: 5000 })
      .toBe(0);
    await housekeeping.stop();
  });
});

describe('idempotency key purge', () => {
  it('deletes keys past their retention, keeps fresh ones, and a fresh key still replays its answer', async () => {
    const me = await addUser(market.db);
    const keepMs = market.deps.config.IDEMPOTENCY_KEY_TTL_HOURS * 3600_000;
    const write = (key: string, act: () => Promise<unknown>) =>
      runIdempotent(market.db, { userId: me.id, key, scope: 'test.write', request: { key }, keepMs }, act);
    let acted = 0;
    const act = () => Promise.resolve({ acted: ++acted });
    await write('stale', act);
    const fresh = await write('fresh', act);
    const row = await market.db.idempotencyKey.findUniqueOrThrow({
      where: { userId_key: { userId: me.id, key: 'fresh' } },
    });
    expect(Math.abs(row.expiresAt.getTime() - row.createdAt.getTime() - keepMs)).toBeLessThan(5_000);
    // The stale key's retention ran out an hour ago.
    await market.db.idempotencyKey.update({
      where: { userId_key: { userId: me.id, key: 'stale' } },
      data: { expiresAt: new Date(Date.now() - 3600_000) },
    });

    const housekeeping = startMarketplaceHousekeeping(market.deps, 3600_000);
    try {
      expect((await housekeeping.runOnce()).idempotencyKeysPurged).toBe(1);
    } finally {
      await housekeeping.stop();
    }
    const left = await market.db.idempotencyKey.findMany({ where: { userId: me.id }, select: { key: true } });
    expect(left.map((k) => k.key)).toEqual(['fresh']);

    // Within retention the same request is answered from the stored row, without acting again.
    expect(await write('fresh', act)).toEqual({ body: fresh.body, replayed: true });
    expect(acted).toBe(2);
    // The purged key is free again: the request acts anew.
    expect(await write('stale', act)).toEqual({ body: { acted: 3 }, replayed: false });
  });
});
