import {
  MESSAGE_VERSION,
  WEBHOOK_ROUTES,
  type TrainingCompleteWebhook,
  type TrainingFailedWebhook,
  type TrainingProgressWebhook,
  type TrainingStartedWebhook,
} from '@stylelicense/contracts';
import { createReportChannel, type ReporterOptions } from '@stylelicense/worker-runtime';

export type { ReporterOptions };

/** How the worker tells the API about a style's training: signed webhooks (Standard Webhooks). */
export interface TrainingReporter {
  /**
   * Delivered before the job is claimed (it starts the API's lease); throws when the API cannot
   * be reached after the retries, so the job stays with the broker. `ignored`: the API answered
   * that the style is unknown or its training already finished (a duplicate or stale job).
   */
  started(
    report: Omit<TrainingStartedWebhook, 'v'>,
  ): Promise<{ status: 'applied' | 'ignored'; reason?: string }>;
  /** Fire-and-forget, delivered in order; a lost progress report only delays the progress bar. */
  progress(report: Omit<TrainingProgressWebhook, 'v'>): void;
  /** Resolves once every progress report sent so far has been delivered or given up. */
  progressSettled(): Promise<void>;
  /** Delivered, or kept in the spool and replayed until the API takes it. */
  complete(report: Omit<TrainingCompleteWebhook, 'v'>): Promise<{ delivered: boolean }>;
  failed(report: Omit<TrainingFailedWebhook, 'v'>): Promise<{ delivered: boolean }>;
  /** Delivers what waits in the spool now; `remaining` is what the API could not take yet. */
  flush(): Promise<{ delivered: number; remaining: number }>;
  close(): Promise<void>;
}

export function createTrainingReporter(options: ReporterOptions): TrainingReporter {
  const { log } = options;
  // `maxAttempts` also bounds the `started` report's tries before the job stays with the broker.
  const channel = createReportChannel({ ...options, source: 'training' });
  let progressChain: Promise<void> = Promise.resolve();

  return {
    async started(report) {
      // The adapter answers 200 with `{ status, reason }`.
      const answer = await channel.send(WEBHOOK_ROUTES.trainingStarted.path, {
        v: MESSAGE_VERSION,
        ...report,
      });
      const parsed = readAnswer(answer.body);
      return parsed.status === 'ignored'
        ? { status: 'ignored', reason: parsed.reason }
        : { status: 'applied' };
    },
    progress(report) {
      const payload = { v: MESSAGE_VERSION, ...report };
      progressChain = progressChain.then(() =>
        channel.progressSender.send(WEBHOOK_ROUTES.trainingProgress.path, payload).then(
          () => undefined,
          (error: unknown) => log.warn({ err: error, styleId: report.styleId }, 'progress report lost'),
        ),
      );
    },
    progressSettled: () => progressChain,
    complete: (report) =>
      channel.sendFinal(WEBHOOK_ROUTES.trainingComplete.path, { v: MESSAGE_VERSION, ...report }),
    failed: (report) =>
      channel.sendFinal(WEBHOOK_ROUTES.trainingFailed.path, { v: MESSAGE_VERSION, ...report }),
    flush: () => channel.flush(),
    async close() {
      await progressChain;
      await channel.close();
    },
  };
}

function readAnswer(body: unknown): { status?: string; reason?: string } {
  if (typeof body !== 'object' || body === null) return {};
  const { status, reason } = body as { status?: unknown; reason?: unknown };
  return {
    status: typeof status === 'string' ? status : undefined,
    reason: typeof reason === 'string' ? reason : undefined,
  };
}
