import type { Database } from '@stylelicense/db';
import type { Broker } from '@stylelicense/queue';
import type { ApiConfig } from '../env';
import type { Logger } from '../logger';
import { brokerProbe, connectBroker } from './broker';
import { BrokerEventBus } from './broker-events';
import { InProcessEventBus, publishAll, type EventBus } from './events';
import type { ReadinessProbe } from '../platform/health';
import { sweepExpiredTrainingLeases } from '../styles/lease';
import { createOutboxRelay, outboxProbe, type OutboxRelay } from './outbox-relay';
import { purgeWebhookReceipts } from './webhook-receipts';

/** Same as the queue's default maxAttempts: the first run and two more. */
const TRAINING_MAX_ATTEMPTS = 3;

/** The API's half of the job pipeline: broker, outbox relay, event bus, and their sweeps (the workers' webhooks land in http/webhooks.ts). */
export interface JobPipeline {
  broker: Broker;
  events: EventBus;
  relay: OutboxRelay;
  probes: ReadinessProbe[];
  /** Relay first (its round finishes), then the bus, then the broker connection. */
  stop(): Promise<void>;
}

export async function startJobPipeline({
  config,
  db,
  log,
}: {
  config: ApiConfig;
  db: Database;
  log: Logger;
}): Promise<JobPipeline> {
  const broker = await connectBroker(
    {
      driver: config.QUEUE_DRIVER,
      url: config.AMQP_URL,
      prefix: config.QUEUE_PREFIX,
      connectionName: `stylelicense-api ${config.MODE}`,
    },
    log,
  );
  // One process (embedded) needs no broker hop for events; several instances share the exchange.
  const events: EventBus =
    broker.driver === 'rabbitmq' ? await BrokerEventBus.connect(broker, log) : new InProcessEventBus();
  const relay = createOutboxRelay({
    db,
    broker,
    log: log.child({ component: 'outbox-relay' }),
    batchSize: config.OUTBOX_BATCH_SIZE,
    pollIntervalMs: config.OUTBOX_POLL_INTERVAL_MS,
    // PGlite serves a single connection, so the embedded relay cannot hold one open for LISTEN.
    listenUrl: config.MODE === 'embedded' ? undefined : config.DATABASE_URL,
  });
  relay.start();
  // Receipts matter only inside the replay window; keep a day of them for investigation.
  const housekeeping = setInterval(() => {
    purgeWebhookReceipts(db).catch((error: unknown) =>
      log.warn({ err: error }, 'purging webhook receipts failed'),
    );
  }, config.HOUSEKEEPING_INTERVAL_MS);
  housekeeping.unref();
  const leaseMs = config.TRAINING_LEASE_SECONDS * 1000;
  const leaseSweeper = setInterval(
    () => {
      sweepExpiredTrainingLeases(db, { leaseMs, maxAttempts: TRAINING_MAX_ATTEMPTS })
        .then(async (sweep) => {
          if (sweep.requeued.length + sweep.failed.length === 0) return;
          log.warn({ requeued: sweep.requeued, failed: sweep.failed }, 'training workers stopped reporting');
          relay.wake();
          await publishAll(events, sweep.events);
        })
        .catch((error: unknown) => log.error({ err: error }, 'training lease sweep failed'));
    },
    Math.min(30_000, leaseMs / 4),
  );
  leaseSweeper.unref();
  let stopping: Promise<void> | undefined;
  return {
    broker,
    events,
    relay,
    probes: [brokerProbe(broker), outboxProbe(relay)],
    stop() {
      stopping ??= (async () => {
        clearInterval(housekeeping);
        clearInterval(leaseSweeper);
        await relay.stop();
        await events.close();
        await broker.close({ graceMs: 5_000 });
      })();
      return stopping;
    },
  };
}
