import type { Channel, Options } from 'amqplib';
import { EVENTS_EXCHANGE, parkingQueueOf, retryQueueOf, type Topology } from '../topology';

// Declared on every (re)connect; declarations are idempotent as long as arguments never change.

interface QueueDeclaration {
  name: string;
  options: Options.AssertQueue;
}

const quorum = { 'x-queue-type': 'quorum' };
// Quorum queues dead-letter at-least-once only with reject-publish overflow (RabbitMQ ≥ 3.10).
function deadLettering(topology: Topology): Record<string, string> {
  return topology.deadLetterStrategy === 'at-least-once'
    ? { 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' }
    : { 'x-dead-letter-strategy': 'at-most-once' };
}

export function queueDeclarations(topology: Topology): QueueDeclaration[] {
  const declarations: QueueDeclaration[] = [];
  for (const queue of topology.queues) {
    const name = topology.prefix + queue;
    declarations.push({
      name,
      options: {
        durable: true,
        arguments: {
          ...quorum,
          ...deadLettering(topology),
          // Poison jobs that keep killing their consumer leave through the dead-letter route.
          'x-delivery-limit': topology.deliveryLimit,
          'x-dead-letter-exchange': '',
          'x-dead-letter-routing-key': parkingQueueOf(name),
        },
      },
    });
    for (const delayMs of topology.retryDelaysMs) {
      declarations.push({
        name: retryQueueOf(name, delayMs),
        options: {
          durable: true,
          arguments: {
            ...quorum,
            ...deadLettering(topology),
            'x-message-ttl': delayMs,
            'x-dead-letter-exchange': '',
            'x-dead-letter-routing-key': name,
          },
        },
      });
    }
    declarations.push({ name: parkingQueueOf(name), options: { durable: true, arguments: { ...quorum } } });
  }
  return declarations;
}

export function eventsExchangeName(topology: Topology): string {
  return topology.prefix + EVENTS_EXCHANGE;
}

export async function assertTopology(channel: Channel, topology: Topology): Promise<void> {
  for (const declaration of queueDeclarations(topology)) {
    await channel.assertQueue(declaration.name, declaration.options);
  }
  await channel.assertExchange(eventsExchangeName(topology), 'topic', { durable: true });
}

export async function deleteTopology(channel: Channel, topology: Topology): Promise<void> {
  for (const declaration of queueDeclarations(topology)) await channel.deleteQueue(declaration.name);
  await channel.deleteExchange(eventsExchangeName(topology));
}
