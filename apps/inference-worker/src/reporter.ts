import {
  MESSAGE_VERSION,
  WEBHOOK_ROUTES,
  type GenerationCompleteWebhook,
  type GenerationFailedWebhook,
  type GenerationProgressWebhook,
} from '@stylelicense/contracts';
import { createReportChannel, type ReporterOptions } from '@stylelicense/worker-runtime';

export type { ReporterOptions };

/** How the worker tells the API about a generation: signed webhooks (Standard Webhooks). */
export interface GenerationReporter {
  /**
   * Fire-and-forget, delivered in order. While one is on the wire only the newest waiting report
   * is kept (an older one is stale by then); a lost report only delays the progress bar. When
   * the API answers `stop` (the owner cancelled the generation), `onStop` runs.
   */
  progress(report: Omit<GenerationProgressWebhook, 'v'>, onStop?: () => void): void;
  /** Resolves once every progress report sent so far has been delivered or given up. */
  progressSettled(): Promise<void>;
  /** Delivered, or kept in the spool and replayed until the API takes it. */
  complete(report: Omit<GenerationCompleteWebhook, 'v'>): Promise<{ delivered: boolean }>;
  failed(report: Omit<GenerationFailedWebhook, 'v'>): Promise<{ delivered: boolean }>;
  /** Delivers what waits in the spool now; `remaining` is what the API could not take yet. */
  flush(): Promise<{ delivered: number; remaining: number }>;
  close(): Promise<void>;
}

export function createGenerationReporter(options: ReporterOptions): GenerationReporter {
  const { log } = options;
  // Progress gets two quick tries with a short timeout: the job must not wait on the progress bar.
  const channel = createReportChannel({ ...options, source: 'inference', progressTimeoutMs: 3_000 });
  let progressChain: Promise<void> = Promise.resolve();
  let waiting: { payload: object; generationId: string; onStop?: () => void } | undefined;
  let sending = false;

  return {
    progress(report, onStop) {
      waiting = { payload: { v: MESSAGE_VERSION, ...report }, generationId: report.generationId, onStop };
      if (sending) return;
      sending = true;
      progressChain = (async () => {
        while (waiting) {
          const next = waiting;
          waiting = undefined;
          const delivery = await channel.progressSender
            .send(WEBHOOK_ROUTES.generationProgress.path, next.payload)
            .catch((error: unknown) =>
              log.warn({ err: error, generationId: next.generationId }, 'progress report lost'),
            );
          if (isStop(delivery?.body)) next.onStop?.();
        }
        sending = false;
      })();
    },
    progressSettled: () => progressChain,
    complete: (report) =>
      channel.sendFinal(WEBHOOK_ROUTES.generationComplete.path, { v: MESSAGE_VERSION, ...report }),
    failed: (report) =>
      channel.sendFinal(WEBHOOK_ROUTES.generationFailed.path, { v: MESSAGE_VERSION, ...report }),
    flush: () => channel.flush(),
    async close() {
      await progressChain;
      await channel.close();
    },
  };
}

function isStop(answer: unknown): boolean {
  return typeof answer === 'object' && answer !== null && (answer as { stop?: unknown }).stop === true;
}
