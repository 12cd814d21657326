import {
  isDomainError,
  parseMessage,
  verifyWebhook,
  WEBHOOK_ROUTES,
  type WebhookRoute,
} from '@stylelicense/contracts';
import { withTransaction, type Database, type TransactionClient } from '@stylelicense/db';
import express, { type ErrorRequestHandler, type Request, type Response, type Router } from 'express';
import type { ApiMetrics } from '../platform/metrics';
import type { z } from 'zod';
import type { Logger } from '../logger';
import { publishAll, type EventBus } from '../messaging/events';
import {
  applyGenerationComplete,
  applyGenerationFailed,
  applyGenerationProgress,
  type GenerationRetryPolicy,
} from '../generations/outcomes';
import type { Outcome } from '../common/outcome';
import {
  applyTrainingComplete,
  applyTrainingFailed,
  applyTrainingProgress,
  applyTrainingStarted,
} from '../styles/outcomes';

export interface WebhookAdapterOptions {
  db: Database;
  log: Logger;
  events: EventBus;
  /** Accepted secrets per source (several while rotating). */
  secrets: { training: readonly string[]; inference: readonly string[] };
  retry: GenerationRetryPolicy;
  /** Called after a commit that wrote outbox rows (a scheduled retry), to wake the relay. */
  onOutboxWrite?: () => void;
  metrics: Pick<ApiMetrics, 'jobReports' | 'generationDuration'>;
}

type Report<Route extends WebhookRoute> = z.output<(typeof WEBHOOK_ROUTES)[Route]['schema']>;

/** Handlers that need a transaction get one with the receipt already stored; the hot ones take the pool. */
type Handler<Route extends WebhookRoute> =
  | { kind: 'statement'; apply(db: Database, webhookId: string, report: Report<Route>): Promise<Outcome> }
  | { kind: 'transaction'; apply(tx: TransactionClient, report: Report<Route>): Promise<Outcome> };

const BODY_LIMIT = '256kb';

/**
 * The REST adapter workers call: `POST /api/webhooks/{training,inference}/…`, verified with the
 * Standard Webhooks scheme against the raw body (one secret per source, 5-minute window). The
 * webhook id is stored in the same transaction as the state change, so a replay answers 200 and
 * changes nothing. 401 = bad or stale signature, 400 = a body we cannot read; neither changes anything.
 */
export function webhookRouter(options: WebhookAdapterOptions): Router {
  const { db, log } = options;
  const handlers: { [Route in WebhookRoute]: Handler<Route> } = {
    trainingStarted: { kind: 'statement', apply: applyTrainingStarted },
    trainingProgress: { kind: 'statement', apply: applyTrainingProgress },
    trainingComplete: { kind: 'transaction', apply: applyTrainingComplete },
    trainingFailed: { kind: 'transaction', apply: applyTrainingFailed },
    generationProgress: { kind: 'statement', apply: applyGenerationProgress },
    generationComplete: { kind: 'transaction', apply: applyGenerationComplete },
    generationFailed: {
      kind: 'transaction',
      apply: (tx, report) => applyGenerationFailed(tx, report, options.retry),
    },
  };

  const router = express.Router();
  const rawBody = express.raw({ type: () => true, limit: BODY_LIMIT });

  for (const name of Object.keys(WEBHOOK_ROUTES) as WebhookRoute[]) {
    const route = WEBHOOK_ROUTES[name];
    const secrets = route.source === 'training' ? options.secrets.training : options.secrets.inference;
    router.post(route.path, rawBody, async (req: Request, res: Response) => {
      const body: Buffer = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
      let webhookId: string;
      try {
        webhookId = verifyWebhook({ secret: secrets, headers: req.headers, body }).id;
      } catch (error) {
        if (!isDomainError(error)) throw error;
        req.log.warn({ route: route.path, code: error.code }, 'webhook refused');
        res.status(401).json({ error: { code: error.code, httpStatus: 401, message: error.message } });
        return;
      }
      let report: Report<typeof name>;
      try {
        report = parseMessage<(typeof WEBHOOK_ROUTES)[typeof name]['schema']>(route.schema, body);
      } catch (error) {
        if (!isDomainError(error)) throw error;
        const issues =
          (error.details?.issues as Array<{ path: string; message: string }> | undefined) ?? undefined;
        res.status(400).json({
          error: {
            code: error.code,
            httpStatus: 400,
            message: error.message,
            ...(issues ? { issues } : {}),
          },
        });
        return;
      }
      const outcome = await handle(handlers[name] as Handler<typeof name>, route.source, webhookId, report);
      req.log.info(
        { route: route.path, webhookId, result: outcome.result, reason: outcome.reason },
        'webhook handled',
      );
      if (outcome.retry) options.onOutboxWrite?.();
      options.metrics.jobReports.inc({ route: name, result: outcome.result, code: failureCodeOf(report) });
      if (name === 'generationComplete' && outcome.durationSeconds !== undefined)
        options.metrics.generationDuration.observe(outcome.durationSeconds);
      res.status(200).json({
        status: outcome.result,
        ...(outcome.reason ? { reason: outcome.reason } : {}),
        ...(outcome.retry ? { retry: outcome.retry } : {}),
        ...(outcome.stop ? { stop: true } : {}),
      });
      // After the answer: the change is committed, and live events are best-effort (clients can
      // refetch), so neither the worker's wait nor a retry of its report depends on the bus.
      publishAll(options.events, outcome.events).catch((error: unknown) =>
        log.error({ err: error }, 'publishing webhook events failed'),
      );
    });
  }
  // Body-parser refusals (too large, aborted, bad encoding) are the sender's problem: answer 400 so
  // its client does not retry them, instead of the generic 500.
  const bodyRefused: ErrorRequestHandler = (
    error: { status?: number; message?: string },
    _req,
    res,
    next,
  ) => {
    if (typeof error?.status !== 'number' || error.status >= 500) return next(error);
    res.status(400).json({
      error: {
        code: 'MALFORMED_MESSAGE',
        httpStatus: 400,
        message: `webhook body refused: ${error.message ?? 'unreadable'}`,
      },
    });
  };
  router.use(bodyRefused);
  return router;

  async function handle<Route extends WebhookRoute>(
    handler: Handler<Route>,
    source: string,
    webhookId: string,
    report: Report<Route>,
  ): Promise<Outcome> {
    if (handler.kind === 'statement') return handler.apply(db, webhookId, report);
    return withTransaction(db, async (tx) => {
      const stored = await tx.$queryRaw<Array<{ id: string }>>`
        INSERT INTO webhook_receipts (id, source) VALUES (${webhookId}, ${source})
        ON CONFLICT (id) DO NOTHING RETURNING id`;
      if (stored.length === 0) return { result: 'duplicate', events: [] };
      return handler.apply(tx, report);
    });
  }
}

/** A failure report's code (a metric label); empty for other reports. */
function failureCodeOf(report: unknown): string {
  const failure = (report as { failure?: { code?: unknown } }).failure;
  return typeof failure?.code === 'string' ? failure.code : '';
}
