import { describe, expect, it } from 'vitest';
import { DomainError, generationJobSchema, parseMessage } from '@stylelicense/contracts';
import {
  JOB_QUEUES,
  LAST_ERROR_HEADER,
  PARKED_REASON_HEADER,
  parkingQueueOf,
  PermanentError,
  RetryableError,
  type Broker,
  type JobDelivery,
  type JobQueueName,
} from '../src';
import { deferred, type BrokerFixture } from './helpers';

const queue = JOB_QUEUES.generation;

/** Collects deliveries of a queue into an array, acking each; `onEach` hears of each one. */
async function collect(broker: Broker, name: string, onEach?: () => void): Promise<JobDelivery[]> {
  const seen: JobDelivery[] = [];
  await broker.consume(name, async (delivery) => {
    seen.push(delivery);
    onEach?.();
  });
  return seen;
}

/**
 * "Nothing else arrives" shown by an event rather than a pause: a marker published now queues
 * behind anything already on its way, so once it arrived, so had they.
 */
async function afterMarker(
  publisher: Broker,
  seen: JobDelivery[],
  name: JobQueueName = queue,
): Promise<void> {
  const messageId = `marker-${Math.random().toString(36).slice(2)}`;
  await publisher.publish(name, { v: 1 }, { messageId });
  await expect.poll(() => seen.some((delivery) => delivery.messageId === messageId)).toBe(true);
}

/** The same behaviour is required of every driver. */
export function describeBrokerContract(driver: string, makeFixture: () => BrokerFixture): void {
  describe(`broker contract: ${driver}`, () => {
    async function withFixture(test: (fixture: BrokerFixture) => Promise<void>): Promise<void> {
      const fixture = makeFixture();
      try {
        await test(fixture);
      } finally {
        await fixture.cleanup();
      }
    }

    it('delivers a published job end to end with its id, headers and body', () =>
      withFixture(async (fixture) => {
        const broker = await fixture.connect();
        const seen = await collect(broker, queue);
        await broker.publish(
          queue,
          { v: 1, n: 1, text: 'créé' },
          { messageId: 'job-1', headers: { 'x-source': 'outbox' } },
        );
        await broker.publish(queue, { v: 1, n: 2 });
        await expect.poll(() => seen.length).toBe(2);
        expect(seen[0]?.body).toEqual({ v: 1, n: 1, text: 'créé' });
        expect(seen[0]?.messageId).toBe('job-1');
        expect(seen[0]?.headers['x-source']).toBe('outbox');
        expect(seen[0]?.attempt).toBe(1);
        expect(seen[0]?.deliveryCount).toBe(1);
        expect(seen[1]?.messageId).toMatch(/[0-9a-f-]{36}/);
        expect((await broker.checkHealth()).ok).toBe(true);
      }));

    it('refuses a queue it does not know', () =>
      withFixture(async (fixture) => {
        const broker = await fixture.connect();
        const error = await broker.publish('jobs.nope', {}).catch((caught: unknown) => caught);
        expect((error as DomainError).code).toBe('QUEUE_UNROUTABLE');
      }));

    it('sends a retryable failure through the retry tier, then succeeds', () =>
      withFixture(async (fixture) => {
        const broker = await fixture.connect();
        const attempts: { attempt: number; at: number; lastError: unknown }[] = [];
        const done = deferred();
        await broker.consume(queue, async (delivery) => {
          attempts.push({
            attempt: delivery.attempt,
            at: Date.now(),
            lastError: delivery.headers[LAST_ERROR_HEADER],
          });
          if (delivery.attempt === 1) throw new RetryableError('GPU out of memory');
          done.resolve();
        });
        await broker.publish(queue, { v: 1 }, { messageId: 'retry-me' });
        await done.promise;
        expect(attempts.map((entry) => entry.attempt)).toEqual([1, 2]);
        const [first, second] = attempts;
        expect((second?.at ?? 0) - (first?.at ?? 0)).toBeGreaterThanOrEqual(180);
        expect(second?.lastError).toBe('RetryableError: GPU out of memory');
      }));

    it('parks a job that keeps failing after the last attempt', () =>
      withFixture(async (fixture) => {
        const broker = await fixture.connect();
        const attempts: number[] = [];
        await broker.consume(queue, async (delivery) => {
          attempts.push(delivery.attempt);
          throw new Error('network unreachable');
        });
        const parked = await collect(broker, parkingQueueOf(queue));
        await broker.publish(queue, { v: 1, poison: true }, { messageId: 'doomed' });
        await expect.poll(() => parked.length, { timeout: 5_000 }).toBe(1);
        expect(attempts).toEqual([1, 2, 3]);
        expect(parked[0]?.messageId).toBe('doomed');
        expect(parked[0]?.body).toEqual({ v: 1, poison: true });
        expect(parked[0]?.headers[PARKED_REASON_HEADER]).toBe('max-attempts');
        expect(parked[0]?.headers[LAST_ERROR_HEADER]).toBe('Error: network unreachable');
      }));

    it('parks permanent failures and unreadable messages at once', () =>
      withFixture(async (fixture) => {
        const broker = await fixture.connect();
        const attempts: string[] = [];
        await broker.consume(queue, async (delivery) => {
          attempts.push(delivery.messageId);
          if (delivery.messageId === 'bad-prompt') throw new PermanentError('bad prompt');
          parseMessage(generationJobSchema, delivery.body);
        });
        const parked = await collect(broker, parkingQueueOf(queue));
        await broker.publish(queue, { v: 1 }, { messageId: 'bad-prompt' });
        await broker.publish(queue, { v: 9 }, { messageId: 'future-version' });
        await expect.poll(() => parked.length).toBe(2);
        expect(attempts.sort()).toEqual(['bad-prompt', 'future-version']);
        expect(parked.map((delivery) => delivery.headers[PARKED_REASON_HEADER])).toEqual([
          'permanent-error',
          'permanent-error',
        ]);
        const versionError = parked.find((delivery) => delivery.messageId === 'future-version')?.headers[
          LAST_ERROR_HEADER
        ];
        expect(versionError).toMatch(/version 9 is not supported/);
      }));

    it('delays a job published with a retry-tier delay', () =>
      withFixture(async (fixture) => {
        const broker = await fixture.connect();
        const seen = await collect(broker, queue);
        const started = Date.now();
        await broker.publish(queue, { v: 1 }, { delayMs: 200 });
        await expect.poll(() => seen.length).toBe(1);
        expect(Date.now() - started).toBeGreaterThanOrEqual(180);
        const error = await broker.publish(queue, {}, { delayMs: 999 }).catch((caught: unknown) => caught);
        expect((error as DomainError).code).toBe('VALIDATION_ERROR');
      }));

    it('hands a job in hand back when its consumer stops without settling', () =>
      withFixture(async (fixture) => {
        const worker = await fixture.connect();
        const started = deferred();
        await worker.consume(queue, async () => {
          started.resolve();
          await new Promise(() => undefined); // a job that never finishes here
        });
        const api = await fixture.connect();
        await api.publish(queue, { v: 1 }, { messageId: 'survivor' });
        await started.promise;
        await worker.close({ graceMs: 0 });

        const other = await fixture.connect();
        const seen = await collect(other, queue);
        await expect.poll(() => seen.length).toBe(1);
        expect(seen[0]?.messageId).toBe('survivor');
        expect(seen[0]?.deliveryCount).toBe(2);
        await afterMarker(api, seen);
        expect(seen.map((delivery) => delivery.messageId)).toEqual([
          'survivor',
          expect.stringMatching(/^marker-/),
        ]);
      }));

    it('parks a poison job that kills every consumer, after the delivery limit', () =>
      withFixture(async (fixture) => {
        const api = await fixture.connect();
        const parkedArrived = deferred();
        const parked = await collect(api, parkingQueueOf(queue), parkedArrived.resolve);
        await api.publish(queue, { v: 1 }, { messageId: 'poison' });
        let deliveries = 0;
        while (parked.length === 0 && deliveries < 10) {
          const worker = await fixture.connect();
          const taken = deferred();
          await worker.consume(queue, async () => {
            deliveries += 1;
            taken.resolve();
            await new Promise(() => undefined); // the job "crashes" its worker
          });
          // Each worker either takes the job or learns it was parked instead.
          await Promise.race([taken.promise, parkedArrived.promise]);
          await worker.close({ graceMs: 0 });
        }
        await expect.poll(() => parked.length).toBe(1);
        expect(parked[0]?.messageId).toBe('poison');
        expect(parked[0]?.headers[PARKED_REASON_HEADER]).toBe('delivery-limit');
        expect(deliveries).toBe(4); // deliveryLimit 3: the fourth unsettled return parks it
      }));

    it('claim settles a long job early and holds further deliveries until it finishes', () =>
      withFixture(async (fixture) => {
        const broker = await fixture.connect();
        const release = deferred();
        const order: string[] = [];
        // Checked by the test below: a failed expect in here would only fail the job.
        const claimedFlags: boolean[] = [];
        await broker.consume(
          queue,
          async (delivery) => {
            order.push(`start ${delivery.messageId}`);
            if (delivery.messageId === 'long') {
              await delivery.claim();
              claimedFlags.push(delivery.claimed);
              await release.promise;
            }
            order.push(`end ${delivery.messageId}`);
          },
          { prefetch: 1 },
        );
        await broker.publish(queue, {}, { messageId: 'long' });
        await broker.publish(queue, {}, { messageId: 'next' });
        await expect.poll(() => order).toEqual(['start long']);
        await expect.poll(() => claimedFlags).toEqual([true]);
        // The claim freed the broker's window, so `next` is on its way to this consumer: a marker
        // through another queue of the same broker arrives after it, and `next` is still held.
        const markers = await collect(broker, JOB_QUEUES.training);
        await afterMarker(broker, markers, JOB_QUEUES.training);
        expect(order).toEqual(['start long']);
        release.resolve();
        await expect.poll(() => order).toEqual(['start long', 'end long', 'start next', 'end next']);
      }));

    it('a worker that dies after claiming does not get its job redelivered (the lease takes over)', () =>
      withFixture(async (fixture) => {
        const worker = await fixture.connect();
        const claimed = deferred();
        await worker.consume(queue, async (delivery) => {
          await delivery.claim();
          claimed.resolve();
          await new Promise(() => undefined); // training for hours, then the process dies
        });
        const api = await fixture.connect();
        await api.publish(queue, { v: 1 }, { messageId: 'claimed-job' });
        await claimed.promise;
        await worker.close({ graceMs: 0 });
        const other = await fixture.connect();
        const seen = await collect(other, queue);
        await afterMarker(api, seen);
        expect(seen.map((delivery) => delivery.messageId)).toEqual([expect.stringMatching(/^marker-/)]);
      }));

    it('fans events out to every subscribed instance, by topic pattern', () =>
      withFixture(async (fixture) => {
        const apiA = await fixture.connect();
        const apiB = await fixture.connect();
        const seenA: string[] = [];
        const seenB: string[] = [];
        await apiA.subscribeEvents('generation.updated.*', (_event, key) => void seenA.push(key));
        await apiB.subscribeEvents('#', (_event, key) => void seenB.push(key));
        const byUser = await apiB.subscribeEvents(
          '*.*.user_2',
          (_event, key) => void seenB.push(`user_2 ${key}`),
        );
        const worker = await fixture.connect();
        await worker.publishEvent('generation.updated.user_1', { v: 1, percent: 10 });
        await worker.publishEvent('notification.created.user_2', { v: 1 });
        await expect.poll(() => seenB.length).toBe(3);
        await expect.poll(() => seenA).toEqual(['generation.updated.user_1']);
        expect(seenB.sort()).toEqual([
          'generation.updated.user_1',
          'notification.created.user_2',
          'user_2 notification.created.user_2',
        ]);
        await byUser.unsubscribe();
        await worker.publishEvent('notification.created.user_2', { v: 1 });
        // A later event on the same route arrives after any copy the dropped pattern could still get.
        await worker.publishEvent('generation.updated.user_3', { v: 1 });
        await expect.poll(() => seenB.length).toBe(5);
        expect(seenB.slice(3)).toEqual(['notification.created.user_2', 'generation.updated.user_3']);
      }));

    it('refuses work after close', () =>
      withFixture(async (fixture) => {
        const broker = await fixture.connect();
        await broker.close();
        const error = await broker.publish(queue, {}).catch((caught: unknown) => caught);
        expect((error as DomainError).code).toBe('QUEUE_CLOSED');
        expect((await broker.checkHealth()).ok).toBe(false);
      }));
  });
}
