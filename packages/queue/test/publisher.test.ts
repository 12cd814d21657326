import amqplib, { type ChannelModel } from 'amqplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DomainError } from '@stylelicense/contracts';
import { ConfirmPublisher } from '../src/rabbitmq/publisher';
import { AMQP_URL, uniquePrefix } from './helpers';

// The broker's memory/disk alarm blocks every publisher on the node, so it cannot be raised on
// the shared test broker; the gate it drives is exercised directly on a real confirm channel.
describe('confirm publisher gate', () => {
  let connection: ChannelModel;
  let queue: string;

  beforeEach(async () => {
    connection = await amqplib.connect(AMQP_URL);
    queue = `${uniquePrefix()}gate`;
    const channel = await connection.createChannel();
    await channel.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await channel.close();
  });

  afterEach(async () => {
    const channel = await connection.createChannel();
    await channel.deleteQueue(queue);
    await connection.close();
  });

  const body = Buffer.from('{"v":1}');

  it('holds publishes while the broker has blocked the connection and releases them on unblock', async () => {
    const publisher = new ConfirmPublisher(5_000, () => undefined);
    await publisher.attach(connection);
    publisher.setBlocked(true);
    let confirmed = false;
    const publishing = publisher
      .publish('', queue, body, { messageId: 'held', persistent: true, mandatory: true })
      .then(() => {
        confirmed = true;
      });
    // A round trip to the broker on the same connection: the queue holds nothing from it, and the
    // publish is still unconfirmed.
    const channel = await connection.createChannel();
    expect((await channel.checkQueue(queue)).messageCount).toBe(0);
    await channel.close();
    expect(confirmed).toBe(false);
    publisher.setBlocked(false);
    await publishing;
    expect(confirmed).toBe(true);
    expect(publisher.stats.blockedWaits).toBe(1);
  });

  it('gives up with a reason when the block outlasts the publish timeout', async () => {
    const publisher = new ConfirmPublisher(300, () => undefined);
    await publisher.attach(connection);
    publisher.setBlocked(true);
    const error = (await publisher
      .publish('', queue, body, { messageId: 'late', mandatory: true })
      .catch((caught: unknown) => caught)) as DomainError;
    expect(error.code).toBe('QUEUE_PUBLISH_TIMEOUT');
    expect(error.message).toMatch(/the broker blocked publishing/);
  });

  it('waits for a channel when there is none, then publishes on it', async () => {
    const publisher = new ConfirmPublisher(5_000, () => undefined);
    const publishing = publisher.publish('', queue, body, { messageId: 'early', mandatory: true });
    expect(publisher.connected).toBe(false);
    await publisher.attach(connection);
    await expect(publishing).resolves.toBeUndefined();
  });
});
