import { randomUUID } from 'node:crypto';
import type { TransactionClient } from '@stylelicense/db';

/** The NOTIFY channel relays LISTEN on; a notification only says "look", it carries nothing. */
export const OUTBOX_CHANNEL = 'outbox_messages';

export interface OutboxMessageInput {
  /** A job queue name, e.g. `jobs.generation` (JOB_QUEUES in @stylelicense/queue). */
  destination: string;
  /** The message body (a contracts job message). */
  payload: object;
  /** Broker headers (e.g. `x-attempt`). */
  headers?: Record<string, string | number | boolean>;
  /** Publish no earlier than this (retry back-off). */
  availableAt?: Date;
  /** Stable id consumers deduplicate on; generated when absent. */
  messageId?: string;
}

/**
 * Writes a message to the outbox inside the caller's transaction, so it is published if and only
 * if the transaction commits. The NOTIFY is delivered at commit and wakes every relay listening.
 * Call `deps.outbox.wake()` after the commit too: it is what wakes the relay in embedded mode.
 */
export async function enqueueOutboxMessage(tx: TransactionClient, message: OutboxMessageInput): Promise<string> {
  const messageId = message.messageId ?? randomUUID();
  await tx.outboxMessage.create({
    data: {
      messageId,
      destination: message.destination,
      payload: message.payload,
      headers: message.headers ?? {},
      ...(message.availableAt ? { availableAt: message.availableAt } : {}),
    },
  });
  await tx.$executeRawUnsafe(`NOTIFY ${OUTBOX_CHANNEL}`);
  return messageId;
}
