import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMarketplaceHousekeeping } from '../src/housekeeping/marketplace';
import { purgeReadNotifications } from '../src/notifications/notifications';
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
