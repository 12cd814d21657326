import { Prisma, queryRows, type Database } from '@stylelicense/db';
import type { AppDeps } from './deps';
import type { ApiConfig } from './env';
import { createApp } from './http/app';
import { listen, type RunningServer } from './http/server';
import { metricsApp } from './http/metrics';
import { createApiMetrics } from './platform/metrics';
import { webhookRouter } from './http/webhooks';
import type { Logger } from './logger';
import { sessionViewerResolver, type ViewerResolver } from './http/session-cookie';
import { databaseProbe } from './platform/health';
import { startIdentityHousekeeping } from './housekeeping/identity';
import { startMarketplaceHousekeeping } from './housekeeping/marketplace';
import { startJobPipeline } from './messaging/job-pipeline';
import { paymentProviderFromConfig } from './tokens/payments';
import { MemoryRateLimitStore, RedisRateLimitStore, type RateLimitStore } from './platform/rate-limits';
import { storageFromConfig, storageProbe } from './platform/storage';
import { trustedProvenanceKeys } from './platform/provenance';
import { SessionCache } from './identity/session-cache';
import { sessionPolicy } from './identity/sessions';
import { listenForSessionChanges } from './platform/session-changes';

export interface ApiRuntime {
  deps: AppDeps;
  http: RunningServer;
  /** The metrics port's server, when METRICS_PORT is set. */
  metrics: RunningServer | undefined;
  /** Graceful stop: HTTP first (in-flight requests finish), then the pools, then `onClosed`. */
  stop(): Promise<void>;
}

export async function startApi({
  config,
  db,
  log,
  onClosed,
  resolveViewer,
}: {
  config: ApiConfig;
  db: Database;
  log: Logger;
  onClosed?: () => Promise<void>;
  /** Who is calling; defaults to the session cookie. */
  resolveViewer?: ViewerResolver;
}): Promise<ApiRuntime> {
  const rateLimits: RateLimitStore =
    config.RATE_LIMIT_STORE === 'redis'
      ? new RedisRateLimitStore(config.REDIS_URL)
      : new MemoryRateLimitStore();
  const storage = storageFromConfig(config);
  await storage.ensureBucket();
  const pipeline = await startJobPipeline({ config, db, log });
  // Members' pages trust recently checked sessions while every change is heard (not embedded:
  // PGlite cannot LISTEN beside the pool); a test's stand-in resolver is used as given.
  const sessionCache =
    resolveViewer === undefined && config.MODE !== 'embedded' && config.SESSION_CHECK_CACHE_SECONDS > 0
      ? new SessionCache(sessionPolicy(config), config.SESSION_CHECK_CACHE_SECONDS * 1000)
      : undefined;
  const sessionChanges =
    sessionCache && config.DATABASE_URL
      ? listenForSessionChanges({ url: config.DATABASE_URL, cache: sessionCache, log })
      : undefined;
  const deps: AppDeps = {
    config,
    db,
    events: pipeline.events,
    broker: pipeline.broker,
    outbox: pipeline.relay,
    log,
    probes: [
      // Both pools: search's statements have their own (see queryRows' `plan`).
      databaseProbe(() =>
        Promise.all([
          db.$queryRaw`SELECT 1`,
          queryRows(db, 'ready', Prisma.sql`SELECT 1`, { plan: 'generic' }),
        ]),
      ),
      storageProbe(storage),
      ...(rateLimits.probe ? [rateLimits.probe] : []),
      ...pipeline.probes,
    ],
    rateLimits,
    payments: paymentProviderFromConfig(config),
    storage,
    provenanceKeys: trustedProvenanceKeys(config),
    metrics: createApiMetrics({ db, broker: pipeline.broker, outbox: pipeline.relay }),
    ...(sessionCache ? { sessionCache } : {}),
    startedAt: new Date(),
  };
  const app = createApp(deps, {
    resolveViewer: resolveViewer ?? sessionViewerResolver(db, config),
    ...(sessionCache ? { resolvePageViewer: sessionViewerResolver(db, config, sessionCache) } : {}),
    mount: (express) =>
      express.use(
        webhookRouter({
          db,
          log,
          events: pipeline.events,
          secrets: { training: config.WEBHOOK_SECRET_TRAINING, inference: config.WEBHOOK_SECRET_INFERENCE },
          retry: { delaysMs: config.GENERATION_RETRY_DELAYS_MS },
          onOutboxWrite: () => pipeline.relay.wake(),
          metrics: deps.metrics,
        }),
      ),
  });
  const http = await listen(app, {
    port: config.PORT,
    host: config.HOST,
    graceMs: config.SHUTDOWN_GRACE_MS,
    log,
  });
  const metrics =
    config.METRICS_PORT === undefined
      ? undefined
      : await listen(metricsApp(deps.metrics), {
          port: config.METRICS_PORT,
          host: config.METRICS_HOST,
          graceMs: 0,
          log,
        });
  const stopHousekeeping = startIdentityHousekeeping(db, log, config.HOUSEKEEPING_INTERVAL_MS);
  const marketplaceHousekeeping = startMarketplaceHousekeeping(deps, config.HOUSEKEEPING_INTERVAL_MS);
  let stopping: Promise<void> | undefined;
  return {
    deps,
    http,
    metrics,
    stop() {
      stopping ??= (async () => {
        await deps.events.close();
        stopHousekeeping();
        await marketplaceHousekeeping.stop();
        await http.close();
        await metrics?.close();
        await pipeline.stop();
        await sessionChanges?.stop();
        await rateLimits.close();
        await db.$disconnect();
        await onClosed?.();
      })();
      return stopping;
    },
  };
}

/** Stop cleanly on SIGTERM/SIGINT (containers, Ctrl-C); a second signal exits at once. */
export function stopOnSignals(runtime: ApiRuntime, log: Logger): void {
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) process.exit(1);
    signalled = true;
    log.info({ signal }, 'shutting down');
    runtime.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        log.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}
