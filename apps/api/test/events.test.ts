import type { DomainEvent } from '@stylelicense/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { InProcessEventBus, topicOf, type BusEvent } from '../src/messaging/events';
import { addArtist, addStyle, addUser, startMarketplace, type Marketplace } from './marketplace';

const training = (ownerId: string, styleId: string, percent: number): DomainEvent => ({
  v: 1,
  type: 'training.updated',
  ownerId,
  styleId,
  status: 'training',
  progress: {
    epoch: 1,
    totalEpochs: 2,
    step: percent,
    totalSteps: 100,
    percent,
    etaSeconds: 10,
    loss: null,
    updatedAt: new Date().toISOString(),
  },
  occurredAt: new Date().toISOString(),
});

/** createCaller hands tracked events over as tRPC's envelope `[id, data, marker]`. */
function untrack(item: unknown): { id: string; data: DomainEvent } {
  const [id, data] = item as [string, DomainEvent];
  return { id, data };
}

/**
 * Resolves once a router subscription registered on the bus for `topic` — after it checked who
 * may watch — so events published from then on reach it.
 */
async function listening(market: Marketplace, topic: string): Promise<void> {
  const subscribe = vi.spyOn(market.deps.events, 'subscribe');
  try {
    await expect
      .poll(() => subscribe.mock.calls.some(([subscribed]) => subscribed === topic), { timeout: 15_000 })
      .toBe(true);
  } finally {
    subscribe.mockRestore();
  }
}

async function take(iterable: AsyncIterable<BusEvent>, count: number): Promise<BusEvent[]> {
  const out: BusEvent[] = [];
  for await (const item of iterable) {
    out.push(item);
    if (out.length === count) break;
  }
  return out;
}

describe('InProcessEventBus', () => {
  it('delivers to subscribers of the topic only, in order, and replays after a given id', async () => {
    const bus = new InProcessEventBus();
    const a = topicOf({ type: 'training.updated', ownerId: 'alice' });
    const live = take(bus.subscribe(a), 3);
    await bus.publish(topicOf({ type: 'training.updated', ownerId: 'bob' }), training('bob', 's0', 1));
    for (const percent of [10, 20, 30]) await bus.publish(a, training('alice', 's1', percent));
    const got = await live;
    expect(got.map((e) => (e.event.type === 'training.updated' ? e.event.progress?.percent : null))).toEqual([
      10, 20, 30,
    ]);
    const resumed = await take(bus.subscribe(a, { fromId: got[0]!.id }), 2);
    expect(resumed.map((e) => e.id)).toEqual([got[1]!.id, got[2]!.id]);
    await bus.close();
  });

  it('ends subscriptions on abort and on close', async () => {
    const bus = new InProcessEventBus();
    const controller = new AbortController();
    const aborted = take(bus.subscribe('t', { signal: controller.signal }), 5);
    controller.abort();
    expect(await aborted).toEqual([]);
    const closing = take(bus.subscribe('t'), 5);
    await bus.close();
    expect(await closing).toEqual([]);
  });
});

describe('live updates through the routers', () => {
  let market: Marketplace;
  beforeAll(async () => {
    market = await startMarketplace();
  });
  afterAll(async () => {
    await market.stop();
  });

  it('styles.onProgress streams the owner’s training progress for that style, resumable', async () => {
    const artist = await addArtist(market.db);
    const style = await addStyle(market.db, artist.id, { status: 'training' });
    const other = await addStyle(market.db, artist.id, { status: 'training' });
    const topic = topicOf({ type: 'training.updated', ownerId: artist.id });
    const subscribed = listening(market, topic);
    const stream = await market.as(artist.viewer).styles.onProgress({ styleId: style.id });
    const received: Array<{ id: string; data: DomainEvent }> = [];
    const reading = (async () => {
      for await (const item of stream as AsyncIterable<unknown>) {
        received.push(untrack(item));
        if (received.length === 2) break;
      }
    })();
    await subscribed;
    await market.deps.events.publish(topic, training(artist.id, other.id, 50));
    await market.deps.events.publish(topic, training(artist.id, style.id, 10));
    await market.deps.events.publish(topic, training(artist.id, style.id, 20));
    await reading;
    expect(
      received.map((r) =>
        r.data.type === 'training.updated' ? [r.data.styleId, r.data.progress?.percent] : null,
      ),
    ).toEqual([
      [style.id, 10],
      [style.id, 20],
    ]);
    const resumed = await market
      .as(artist.viewer)
      .styles.onProgress({ styleId: style.id, lastEventId: received[0]!.id });
    const replayed: string[] = [];
    for await (const item of resumed as AsyncIterable<unknown>) {
      replayed.push(untrack(item).id);
      break;
    }
    expect(replayed).toEqual([received[1]!.id]);
  });

  it('notifications.onNew receives a like the moment it is committed', async () => {
    const owner = await addUser(market.db);
    const fan = await addUser(market.db);
    const artist = await addArtist(market.db);
    const style = await addStyle(market.db, artist.id);
    const generation = await market.db.generation.create({
      data: {
        userId: owner.id,
        styleId: style.id,
        aspectRatio: 'square',
        seed: 1n,
        consumedTokens: 1,
        status: 'completed',
        isPublic: true,
      },
    });
    await market.db.style.update({ where: { id: style.id }, data: { usageCount: { increment: 1 } } });
    const subscribed = listening(market, topicOf({ type: 'notification.created', ownerId: owner.id }));
    const stream = (await market.as(owner.viewer).notifications.onNew()) as AsyncIterable<unknown>;
    const next = (async () => {
      for await (const item of stream) return untrack(item).data;
      return null;
    })();
    await subscribed;
    await market.as(fan.viewer).likes.like({ generationId: generation.id });
    expect(await next).toMatchObject({
      type: 'notification.created',
      ownerId: owner.id,
      notificationType: 'like',
      actorId: fan.id,
      targetId: generation.id,
    });
  });
});
