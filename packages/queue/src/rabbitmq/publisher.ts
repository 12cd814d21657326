import type { ChannelModel, ConfirmChannel, Options } from 'amqplib';
import { DomainError } from '@stylelicense/contracts';

type Outcome = 'confirmed' | 'channel-lost';

export type PublishProperties = Options.Publish & { messageId: string; mandatory: boolean };

interface PendingConfirm {
  deadline: number;
  expire(): void;
}

/**
 * One confirm channel shared by all publishes of a connection. A publish resolves on the
 * broker's confirm; it waits (up to the publish timeout) while the channel is being
 * re-created after a disconnect, while the socket buffer drains, and while the broker has
 * blocked the connection for lack of memory or disk. A publish whose channel died before
 * its confirm is sent again on the next channel: at-least-once, so consumers deduplicate by
 * messageId.
 */
export class ConfirmPublisher {
  private channel: ConfirmChannel | undefined;
  private blocked = false;
  private needsDrain = false;
  private closed = false;
  private readonly waiters = new Set<() => void>();
  // Returns (unroutable + mandatory) arrive before the confirm of the same message.
  private readonly returned = new Map<string, number>();
  private readonly pending = new Set<PendingConfirm>();
  /** Counters for metrics and tests: how often back-pressure or a lost channel made a publish wait. */
  readonly stats = { drainWaits: 0, blockedWaits: 0, republished: 0 };
  private sweeper: NodeJS.Timeout | undefined;

  constructor(
    private readonly timeoutMs: number,
    /** Called when the channel closes on its own, so the broker can open a new one. */
    private readonly onChannelClosed: () => void,
  ) {}

  async attach(model: ChannelModel): Promise<void> {
    const channel = await model.createConfirmChannel();
    channel.on('return', (message: { properties: { messageId?: string } }) => {
      const id = message.properties.messageId ?? '';
      this.returned.set(id, (this.returned.get(id) ?? 0) + 1);
    });
    channel.on('drain', () => {
      this.needsDrain = false;
      this.wake();
    });
    channel.on('error', () => undefined); // 'close' follows; the connection recovers
    channel.on('close', () => {
      if (this.channel !== channel) return;
      this.channel = undefined;
      if (!this.closed) this.onChannelClosed();
    });
    this.channel = channel;
    this.needsDrain = false;
    this.wake();
  }

  get connected(): boolean {
    return this.channel !== undefined;
  }

  get currentChannel(): ConfirmChannel | undefined {
    return this.channel;
  }

  setBlocked(blocked: boolean): void {
    if (blocked) this.stats.blockedWaits += 1;
    this.blocked = blocked;
    if (!blocked) this.wake();
  }

  close(): void {
    this.closed = true;
    this.channel = undefined;
    this.wake();
  }

  /** `options.mandatory`: unroutable messages reject with QUEUE_UNROUTABLE instead of vanishing. */
  publish(exchange: string, routingKey: string, content: Buffer, options: PublishProperties): Promise<void> {
    const deadline = Date.now() + this.timeoutMs;
    const channel = this.writableNow();
    // Fast path without extra awaits: most publishes find the channel writable.
    if (!channel) return this.publishWhenWritable(exchange, routingKey, content, options, deadline);
    return this.publishOnce(channel, exchange, routingKey, content, options, deadline).then((outcome) =>
      outcome === 'confirmed' ? undefined : this.republish(exchange, routingKey, content, options, deadline),
    );
  }

  private writableNow(): ConfirmChannel | undefined {
    return this.channel && !this.blocked && !this.needsDrain && !this.closed ? this.channel : undefined;
  }

  private republish(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: PublishProperties,
    deadline: number,
  ): Promise<void> {
    this.stats.republished += 1;
    return this.publishWhenWritable(exchange, routingKey, content, options, deadline);
  }

  private async publishWhenWritable(
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: PublishProperties,
    deadline: number,
  ): Promise<void> {
    for (;;) {
      const channel = this.writableNow() ?? (await this.writableChannel(deadline, routingKey));
      if ((await this.publishOnce(channel, exchange, routingKey, content, options, deadline)) === 'confirmed')
        return;
      this.stats.republished += 1;
    }
  }

  // One sweep for all confirm deadlines: a timer per publish costs more than the publish.
  private track(pending: PendingConfirm): void {
    this.pending.add(pending);
    if (this.sweeper) return;
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const entry of this.pending) {
        if (entry.deadline > now) continue;
        this.pending.delete(entry);
        entry.expire();
      }
      if (this.pending.size === 0) {
        clearInterval(this.sweeper);
        this.sweeper = undefined;
      }
    }, 100);
    this.sweeper.unref();
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const wake of waiters) wake();
  }

  private async writableChannel(deadline: number, routingKey: string): Promise<ConfirmChannel> {
    for (;;) {
      if (this.closed) throw new DomainError('QUEUE_CLOSED', 'the broker connection is closed');
      if (this.channel && !this.blocked && !this.needsDrain) return this.channel;
      const remaining = deadline - Date.now();
      if (remaining <= 0) {
        const why = !this.channel
          ? 'no connection to the broker'
          : this.blocked
            ? 'the broker blocked publishing'
            : 'the socket buffer stayed full';
        throw new DomainError('QUEUE_PUBLISH_TIMEOUT', `publish to "${routingKey}" timed out: ${why}`, {
          routingKey,
          timeoutMs: this.timeoutMs,
        });
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(done, remaining);
        function done() {
          clearTimeout(timer);
          resolve();
        }
        this.waiters.add(done);
      });
    }
  }

  private publishOnce(
    channel: ConfirmChannel,
    exchange: string,
    routingKey: string,
    content: Buffer,
    options: PublishProperties,
    deadline: number,
  ): Promise<Outcome> {
    return new Promise<Outcome>((resolve, reject) => {
      const pending: PendingConfirm = {
        deadline,
        expire: () =>
          reject(
            new DomainError(
              'QUEUE_PUBLISH_TIMEOUT',
              `no confirm for "${routingKey}" within ${this.timeoutMs} ms`,
              { routingKey },
            ),
          ),
      };
      this.track(pending);
      let writable: boolean;
      try {
        writable = channel.publish(exchange, routingKey, content, options, (error: Error | null) => {
          this.pending.delete(pending);
          if (error) {
            if (error.message === 'channel closed') resolve('channel-lost');
            else
              reject(
                new DomainError(
                  'QUEUE_PUBLISH_NACKED',
                  `the broker refused the message for "${routingKey}"`,
                  { routingKey },
                ),
              );
            return;
          }
          const returns = this.returned.get(options.messageId) ?? 0;
          if (returns > 0) {
            if (returns === 1) this.returned.delete(options.messageId);
            else this.returned.set(options.messageId, returns - 1);
            reject(
              new DomainError(
                'QUEUE_UNROUTABLE',
                `no queue is bound for "${routingKey}" on "${exchange || '(default)'}"`,
                { exchange, routingKey },
              ),
            );
            return;
          }
          resolve('confirmed');
        });
      } catch {
        // The channel closed under us (IllegalOperationError): try again on the next one.
        this.pending.delete(pending);
        resolve('channel-lost');
        return;
      }
      if (!writable && this.channel === channel) {
        this.needsDrain = true;
        this.stats.drainWaits += 1;
      }
    });
  }
}
