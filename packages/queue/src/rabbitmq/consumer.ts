import type { Channel, ChannelModel, ConsumeMessage } from 'amqplib';
import { DomainError } from '@stylelicense/contracts';
import { errorSummary, failureOutcome, PermanentError } from '../outcome';
import {
  ATTEMPT_HEADER,
  LAST_ERROR_HEADER,
  PARKED_REASON_HEADER,
  parkingQueueOf,
  retryQueueOf,
  type Topology,
} from '../topology';
import type { JobConsumer, JobDelivery, JobHandler } from '../types';
import { settlesWithin } from '../wait';
import type { ConfirmPublisher } from './publisher';

/**
 * One channel per consumer (its own prefetch). Re-attached on every reconnect; jobs in hand
 * when a channel dies are redelivered by the broker, so handlers must be idempotent.
 */
export class RabbitConsumer implements JobConsumer {
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  private cancelled = false;
  private claimedInHand = 0;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    readonly queue: string,
    private readonly physicalQueue: string,
    private readonly jobQueue: string,
    private readonly parking: boolean,
    private readonly handler: JobHandler,
    private readonly prefetch: number,
    private readonly topology: Topology,
    private readonly publisher: ConfirmPublisher,
    private readonly onChannelClosed: (consumer: RabbitConsumer) => void,
    private readonly onCancelled: (consumer: RabbitConsumer) => void,
  ) {}

  async attach(model: ChannelModel): Promise<void> {
    if (this.cancelled) return;
    const channel = await model.createChannel();
    channel.on('error', () => undefined);
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      this.consumerTag = undefined;
      if (!this.cancelled) this.onChannelClosed(this);
    });
    await channel.prefetch(this.prefetch);
    this.channel = channel;
    if (this.claimedInHand === 0) await this.startConsuming(channel);
  }

  private async startConsuming(channel: Channel): Promise<void> {
    const { consumerTag } = await channel.consume(this.physicalQueue, (message) => {
      if (message) this.track(this.handle(channel, message));
    });
    this.consumerTag = consumerTag;
  }

  private track(work: Promise<void>): void {
    this.inFlight.add(work);
    void work.finally(() => this.inFlight.delete(work));
  }

  private async handle(channel: Channel, message: ConsumeMessage): Promise<void> {
    const headers: Record<string, unknown> = { ...message.properties.headers };
    // RabbitMQ dead-letters a job over its x-delivery-limit itself; name it like the other reasons.
    if (
      this.parking &&
      headers[PARKED_REASON_HEADER] === undefined &&
      headers['x-first-death-reason'] === 'delivery_limit'
    ) {
      headers[PARKED_REASON_HEADER] = 'delivery-limit';
    }
    const attempt = Number(headers[ATTEMPT_HEADER] ?? 1);
    let claimed = false;
    const settle = (action: () => void): void => {
      // A closed channel means the broker already put the job back: nothing to settle.
      try {
        action();
      } catch {
        /* channel gone */
      }
    };

    let body: unknown;
    try {
      body = JSON.parse(message.content.toString('utf8')) as unknown;
    } catch {
      // Not JSON: no handler can ever read it, so it goes straight to parking.
      await this.reroute(message, attempt, new PermanentError('message body is not JSON')).then(
        () => settle(() => channel.ack(message)),
        () => settle(() => channel.nack(message, false, true)),
      );
      return;
    }

    const delivery: JobDelivery = {
      body,
      messageId: String(message.properties.messageId ?? ''),
      headers,
      attempt,
      deliveryCount: Number(headers['x-delivery-count'] ?? 0) + 1,
      get claimed() {
        return claimed;
      },
      claim: async () => {
        if (claimed) return;
        // Stop deliveries first so the freed prefetch slot is not refilled while we work.
        this.claimedInHand += 1;
        try {
          if (this.consumerTag && this.channel === channel) {
            const tag = this.consumerTag;
            this.consumerTag = undefined;
            await channel.cancel(tag);
          }
          channel.ack(message);
        } catch (error) {
          this.claimedInHand -= 1;
          throw new DomainError(
            'QUEUE_UNAVAILABLE',
            'could not claim the job: its channel closed; the broker will redeliver it',
            undefined,
            {
              cause: error,
            },
          );
        }
        claimed = true;
      },
    };

    try {
      let failure: { error: unknown } | undefined;
      try {
        await this.handler(delivery);
      } catch (error) {
        failure = { error };
      }
      if (!failure) {
        if (!claimed) settle(() => channel.ack(message));
        return;
      }
      // The channel died under the handler: the broker already has the job back, and a
      // rerouted copy would be a duplicate.
      if (!claimed && this.channel !== channel) return;
      try {
        await this.reroute(message, attempt, failure.error);
        if (!claimed) settle(() => channel.ack(message));
      } catch {
        // Could not store the retry copy: hand the job back to the broker rather than lose it.
        if (!claimed) settle(() => channel.nack(message, false, true));
      }
    } finally {
      if (claimed) {
        this.claimedInHand -= 1;
        if (this.claimedInHand === 0 && !this.cancelled && this.channel && !this.consumerTag) {
          await this.startConsuming(this.channel).catch(() => undefined);
        }
      }
    }
  }

  /** Publishes the job to its retry tier or parking queue (confirmed) before the original is acked. */
  private async reroute(message: ConsumeMessage, attempt: number, error: unknown): Promise<void> {
    const prefix = this.topology.prefix;
    const headers: Record<string, unknown> = {
      ...message.properties.headers,
      [LAST_ERROR_HEADER]: errorSummary(error),
    };
    delete headers['x-delivery-count'];
    delete headers['x-death'];
    const outcome = this.parking
      ? { action: 'park' as const, reason: 'permanent-error' as const }
      : failureOutcome(error, attempt, this.topology.retryDelaysMs, this.topology.maxAttempts);
    const target =
      outcome.action === 'retry'
        ? retryQueueOf(prefix + this.jobQueue, outcome.delayMs)
        : parkingQueueOf(prefix + this.jobQueue);
    const nextHeaders =
      outcome.action === 'retry'
        ? { ...headers, [ATTEMPT_HEADER]: attempt + 1 }
        : { ...headers, [PARKED_REASON_HEADER]: outcome.reason };
    await this.publisher.publish('', target, message.content, {
      messageId: String(message.properties.messageId ?? ''),
      headers: nextHeaders,
      persistent: true,
      mandatory: true,
      contentType: 'application/json',
      timestamp: message.properties.timestamp as number | undefined,
    });
  }

  async cancel(options: { graceMs?: number } = {}): Promise<void> {
    if (this.cancelled) return;
    this.cancelled = true;
    const channel = this.channel;
    if (channel && this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
    this.consumerTag = undefined;
    await settlesWithin(Promise.all([...this.inFlight]), options.graceMs ?? 30_000);
    // Closing the channel hands any job still in hand back to the queue.
    this.channel = undefined;
    if (channel) await channel.close().catch(() => undefined);
    this.onCancelled(this);
  }
}
