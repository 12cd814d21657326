import { queryRows, Prisma, type Database } from '@stylelicense/db';
import { JOB_QUEUES, type Broker } from '@stylelicense/queue';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { OutboxRelay } from '../messaging/outbox-relay';

// Prometheus series of the API (prom-client naming: `_seconds` histograms, `_total` counters).
// Values that live in the database or the broker are read when Prometheus scrapes, so every
// API instance reports the same truth and nothing is counted on the money paths.

export interface ApiMetrics {
  registry: Registry;
  httpDuration: Histogram<'method' | 'route' | 'status'>;
  procedureDuration: Histogram<'procedure' | 'type'>;
  procedureErrors: Counter<'procedure' | 'code'>;
  /** A worker's report arrived: what it did (applied, ignored, duplicate), by route and failure code. */
  jobReports: Counter<'route' | 'result' | 'code'>;
  /** Submission to completion of a generation, seen when its completion is applied. */
  generationDuration: Histogram;
}

export interface MetricSources {
  db: Database;
  broker?: Broker;
  outbox?: OutboxRelay;
}

const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export function createApiMetrics(sources: MetricSources): ApiMetrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const { db, broker, outbox } = sources;

  new Gauge({
    name: 'outbox_pending_messages',
    help: 'Outbox rows not yet published (retries waiting for their back-off included)',
    registers: [registry],
    async collect() {
      if (outbox) this.set((await outbox.lag()).pending);
    },
  });
  new Gauge({
    name: 'outbox_oldest_due_age_seconds',
    help: 'How long the oldest due outbox row has waited',
    registers: [registry],
    async collect() {
      if (outbox) this.set((await outbox.lag()).oldestDueAgeMs / 1000);
    },
  });
  let publishedSeen = 0;
  new Counter({
    name: 'outbox_published_total',
    help: 'Outbox rows published to the broker by this process',
    registers: [registry],
    collect() {
      if (!outbox) return;
      this.inc(outbox.published - publishedSeen);
      publishedSeen = outbox.published;
    },
  });
  new Gauge({
    name: 'queue_messages',
    help: 'Jobs waiting in a queue',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      for (const [queue, stats] of await queueStats(broker)) this.set({ queue }, stats.messages);
    },
  });
  new Gauge({
    name: 'queue_consumers',
    help: 'Consumers attached to a queue',
    labelNames: ['queue'],
    registers: [registry],
    async collect() {
      for (const [queue, stats] of await queueStats(broker)) this.set({ queue }, stats.consumers);
    },
  });
  new Gauge({
    name: 'ledger_entries',
    help: 'Ledger entries by kind (bonus, purchase, generation hold, earning, refund…)',
    labelNames: ['kind'],
    registers: [registry],
    async collect() {
      const rows = await queryRows<{ kind: string; entries: number }>(
        db,
        'metrics_ledger_entries',
        Prisma.sql`SELECT type::text AS kind, count(*)::int AS entries FROM transactions GROUP BY type`,
      );
      this.reset();
      for (const row of rows) this.set({ kind: row.kind }, row.entries);
    },
  });

  return {
    registry,
    httpDuration: new Histogram({
      name: 'http_request_duration_seconds',
      help: 'HTTP requests by route and status',
      labelNames: ['method', 'route', 'status'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    procedureDuration: new Histogram({
      name: 'trpc_procedure_duration_seconds',
      help: 'tRPC procedure calls (REST v1 included), by procedure',
      labelNames: ['procedure', 'type'],
      buckets: DURATION_BUCKETS,
      registers: [registry],
    }),
    procedureErrors: new Counter({
      name: 'trpc_procedure_errors_total',
      help: 'tRPC procedure calls that ended in an error, by its stable code',
      labelNames: ['procedure', 'code'],
      registers: [registry],
    }),
    jobReports: new Counter({
      name: 'job_reports_total',
      help: "Workers' reports (webhooks) by route and what they did; failures by code",
      labelNames: ['route', 'result', 'code'],
      registers: [registry],
    }),
    generationDuration: new Histogram({
      name: 'generation_duration_seconds',
      help: 'Generations from submission to completion',
      buckets: [1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
      registers: [registry],
    }),
  };
}

async function queueStats(broker: Broker | undefined) {
  if (!broker) return [];
  return Promise.all(
    Object.values(JOB_QUEUES).map(async (queue) => [queue, await broker.queueStats(queue)] as const),
  );
}
