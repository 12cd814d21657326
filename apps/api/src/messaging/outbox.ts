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

const localWriteListeners = new Set<() => void>();

/** Relays that cannot LISTEN (embedded PGlite serves one connection) hear about this process's writes here. */
export function onLocalOutboxWrite(listener: () => void): () => void {
  localWriteListeners.add(listener);
  return () => localWriteListeners.delete(listener);
}

/**
 * Writes a message to the outbox inside the caller's transaction, so it is published if and only
 * if the transaction commits. The NOTIFY is delivered at commit and wakes every relay listening.
 * Relays of this process that cannot LISTEN are told too, and look again shortly (the commit has
 * usually landed by then; their poll covers the rest).
 */
export async function enqueueOutboxMessage(
  tx: TransactionClient,
  message: OutboxMessageInput,
): Promise<string> {
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
  for (const listener of localWriteListeners) listener();
  return messageId;
}
