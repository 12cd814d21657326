import type { KeyObject } from 'node:crypto';
import type { Database } from '@stylelicense/db';
import type { Broker } from '@stylelicense/queue';
import type { ObjectStorage } from '@stylelicense/storage';
import type { ApiConfig } from './env';
import type { EventBus } from './messaging/events';
import type { Logger } from './logger';
import type { ReadinessProbe } from './platform/health';
import type { OutboxRelay } from './messaging/outbox-relay';
import type { PaymentProvider } from './tokens/payments/provider';
import type { RateLimitStore } from './platform/rate-limits';
import type { ApiMetrics } from './platform/metrics';
import type { SessionCache } from './identity/session-cache';

/**
 * Everything a request may need, built once per process and handed down explicitly.
 * Later parts (storage, queue, event bus, payment provider) join here.
 */
export interface AppDeps {
  config: ApiConfig;
  db: Database;
  /** Live updates to subscribed clients (in-process now; the broker's `events` exchange later). */
  events: EventBus;
  /** Job queues (RabbitMQ, or in-process in the embedded default); jobs go through the outbox, not here. */
  broker: Broker;
  /** Publishes outbox rows; `wake()` after a commit that wrote some. */
  outbox: OutboxRelay;
  log: Logger;
  probes: ReadinessProbe[];
  /** Sliding-window call counts (Redis across instances, memory in embedded mode). */
  rateLimits: RateLimitStore;
  /** Toss Payments, or the local sandbox checkout outside production. */
  payments: PaymentProvider;
  /** Object storage (S3 or the filesystem driver); key layout in @stylelicense/storage's storageKeys. */
  storage: ObjectStorage;
  /** Public keys whose provenance manifests verify as ours. */
  provenanceKeys: KeyObject[];
  /** Prometheus series; served on METRICS_PORT when it is set. */
  metrics: ApiMetrics;
  /**
   * Sessions members' pages trust from memory (absent: every page reads the database). Every
   * instance hears changes by NOTIFY; a sign-out also tells its own instance at once.
   */
  sessionCache?: SessionCache;
  startedAt: Date;
}
