import {
  createDurableWebhookSender,
  createWebhookSender,
  isDomainError,
  MESSAGE_VERSION,
  WEBHOOK_ROUTES,
  type GenerationCompleteWebhook,
  type GenerationFailedWebhook,
  type GenerationProgressWebhook,
} from '@stylelicense/contracts';
import type { WorkerLog } from './config';

/** How the worker tells the API about a generation: signed webhooks (Standard Webhooks). */
export interface GenerationReporter {
  /**
   * Fire-and-forget, delivered in order. While one is on the wire only the newest waiting report
   * is kept (an older one is stale by then); a lost report only delays the progress bar.
   */
  progress(report: Omit<GenerationProgressWebhook, 'v'>): void;
  /** Resolves once every progress report sent so far has been delivered or given up. */
  progressSettled(): Promise<void>;
  /** Delivered, or kept in the spool and replayed until the API takes it. */
  complete(report: Omit<GenerationCompleteWebhook, 'v'>): Promise<{ delivered: boolean }>;
  failed(report: Omit<GenerationFailedWebhook, 'v'>): Promise<{ delivered: boolean }>;
  /** Delivers what waits in the spool now; `remaining` is what the API could not take yet. */
  flush(): Promise<{ delivered: number; remaining: number }>;
  close(): Promise<void>;
}

export interface ReporterOptions {
  apiUrl: string;
  secret: string;
  spoolDir: string;
  log: WorkerLog;
  /** Tries per webhook before a final report is spooled (default 6, ~15 s of back-off). */
  maxAttempts?: number;
  requestTimeoutMs?: number;
}

export function createGenerationReporter(options: ReporterOptions): GenerationReporter {
  const { log } = options;
  const common = {
    baseUrl: options.apiUrl,
    secret: options.secret,
    source: 'inference',
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
  };
  // Progress gets two quick tries with a short timeout: the job must not wait on the progress bar.
  const progressSender = createWebhookSender({
    ...common,
    requestTimeoutMs: Math.min(common.requestTimeoutMs, 3_000),
    retry: { maxAttempts: 2, initialDelayMs: 200 },
  });
  const finalSender = createDurableWebhookSender({
    ...common,
    retry: { maxAttempts: options.maxAttempts ?? 6 },
    spoolDir: options.spoolDir,
    onError: (error) => log.error({ err: error }, 'spooled inference webhook could not be delivered'),
  });
  finalSender.start();
  let progressChain: Promise<void> = Promise.resolve();
  let waiting: { payload: object; generationId: string } | undefined;
  let sending = false;

  async function sendFinal(path: string, payload: object): Promise<{ delivered: boolean }> {
    try {
      const result = await finalSender.send(path, payload);
      if (!result.delivered) log.warn({ path, webhookId: result.webhookId }, 'API unreachable: report spooled for later delivery');
      return { delivered: result.delivered };
    } catch (error) {
      // 4xx: the API refuses this report for good; retrying the same bytes cannot help.
      if (isDomainError(error, 'WEBHOOK_REJECTED')) {
        log.error({ err: error, path }, 'API rejected the report');
        return { delivered: false };
      }
      throw error;
    }
  }

  return {
    progress(report) {
      waiting = { payload: { v: MESSAGE_VERSION, ...report }, generationId: report.generationId };
      if (sending) return;
      sending = true;
      progressChain = (async () => {
        while (waiting) {
          const next = waiting;
          waiting = undefined;
          await progressSender
            .send(WEBHOOK_ROUTES.generationProgress.path, next.payload)
            .catch((error: unknown) => log.warn({ err: error, generationId: next.generationId }, 'progress report lost'));
        }
        sending = false;
      })();
    },
    progressSettled: () => progressChain,
    complete: (report) => sendFinal(WEBHOOK_ROUTES.generationComplete.path, { v: MESSAGE_VERSION, ...report }),
    failed: (report) => sendFinal(WEBHOOK_ROUTES.generationFailed.path, { v: MESSAGE_VERSION, ...report }),
    flush: () => finalSender.flush(),
    async close() {
      await progressChain;
      await finalSender.close();
    },
  };
}
