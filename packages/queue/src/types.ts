/** A job as a consumer sees it. `body` is the parsed JSON the publisher sent. */
export interface JobDelivery {
  body: unknown;
  messageId: string;
  headers: Record<string, unknown>;
  /** 1 on the first try; +1 for every retry tier the job went through. */
  attempt: number;
  /** How many times the broker has handed out this copy (>1 after a consumer crashed). */
  deliveryCount: number;
  /**
   * Ack-on-claim for long jobs: settles the message with the broker now, so the broker's
   * consumer timeout no longer applies, and stops further deliveries to this consumer until
   * the handler returns. From then on a worker crash is detected by the caller's lease, not
   * the broker. A retryable or permanent error thrown afterwards is still routed to the
   * retry tier or the parking queue (the layer republishes the body).
   */
  claim(): Promise<void>;
  readonly claimed: boolean;
}

/** Resolve = done (ack). Throw RetryableError = next retry tier. Throw PermanentError = parking. */
export type JobHandler = (delivery: JobDelivery) => Promise<void>;

export interface PublishOptions {
  /** Stable id for deduplication; generated when absent. */
  messageId?: string;
  headers?: Record<string, string | number | boolean>;
  /** Deliver later through a retry tier: 0 or exactly one of the configured retry delays. */
  delayMs?: number;
}

export interface ConsumeOptions {
  /** Unsettled jobs this consumer holds at once; 1 for GPU workers (the default). */
  prefetch?: number;
}

export interface JobConsumer {
  readonly queue: string;
  /** Stops new deliveries and waits for jobs in hand (up to graceMs, default 30 s). */
  cancel(options?: { graceMs?: number }): Promise<void>;
}

export type EventHandler = (event: unknown, routingKey: string) => void | Promise<void>;

export interface EventSubscription {
  readonly pattern: string;
  unsubscribe(): Promise<void>;
}

export interface BrokerHealth {
  ok: boolean;
  driver: 'rabbitmq' | 'in-process';
  latencyMs: number;
  error?: string;
}

export interface QueueStats {
  messages: number;
  consumers: number;
}

export interface Broker {
  readonly driver: 'rabbitmq' | 'in-process';
  /** Resolves once the broker has taken responsibility for the job (publisher confirm). */
  publish(queue: string, message: unknown, options?: PublishOptions): Promise<void>;
  /** `queue` is a job queue or its parking queue (`parkingQueueOf(queue)`). */
  consume(queue: string, handler: JobHandler, options?: ConsumeOptions): Promise<JobConsumer>;
  publishEvent(routingKey: string, event: unknown): Promise<void>;
  /** AMQP topic patterns: `*` is one word, `#` zero or more. */
  subscribeEvents(pattern: string, handler: EventHandler): Promise<EventSubscription>;
  checkHealth(): Promise<BrokerHealth>;
  /** Jobs waiting in a queue and consumers attached to it (for metrics). */
  queueStats(queue: string): Promise<QueueStats>;
  /** Cancels consumers, waits for jobs in hand up to graceMs (default 30 s), then disconnects. */
  close(options?: { graceMs?: number }): Promise<void>;
}
