import { isDomainError } from '@stylelicense/contracts';
import type { WorkerLog } from './log';
import { createWebhookSender, type WebhookDelivery, type WebhookSender } from './webhook-sender';
import { createDurableWebhookSender } from './webhook-spool';

export interface ReporterOptions {
  apiUrl: string;
  secret: string;
  spoolDir: string;
  log: WorkerLog;
  /** Tries per final report before it is spooled (default 6, ~15 s of back-off). */
  maxAttempts?: number;
  requestTimeoutMs?: number;
}

export interface ReportChannel {
  /**
   * For a report whose answer the worker acts on: the final reports' retries, no spool.
   * Resolves to the API's answer; throws when the API refuses it or cannot be reached.
   */
  send(path: string, payload: object): Promise<WebhookDelivery>;
  /** Two quick tries: a job must never wait on the progress bar. */
  progressSender: WebhookSender;
  /** Delivered, or kept in the spool and replayed until the API takes it. */
  sendFinal(path: string, payload: object): Promise<{ delivered: boolean }>;
  /** Delivers what waits in the spool now; `remaining` is what the API could not take yet. */
  flush(): Promise<{ delivered: number; remaining: number }>;
  close(): Promise<void>;
}

/**
 * The webhook plumbing under a worker's reporter: signed senders for `source`, the spool for final
 * reports, and the rule that a 4xx answer is final. The reporter on top decides what it reports
 * and how progress is queued.
 */
export function createReportChannel(
  options: ReporterOptions & {
    source: string;
    /** Caps the progress request's timeout. */ progressTimeoutMs?: number;
  },
): ReportChannel {
  const { log, source } = options;
  const common = {
    baseUrl: options.apiUrl,
    secret: options.secret,
    source,
    requestTimeoutMs: options.requestTimeoutMs ?? 10_000,
  };
  const retry = { maxAttempts: options.maxAttempts ?? 6 };
  const answerSender = createWebhookSender({ ...common, retry });
  const progressSender = createWebhookSender({
    ...common,
    ...(options.progressTimeoutMs === undefined
      ? {}
      : { requestTimeoutMs: Math.min(common.requestTimeoutMs, options.progressTimeoutMs) }),
    retry: { maxAttempts: 2, initialDelayMs: 200 },
  });
  const finalSender = createDurableWebhookSender({
    ...common,
    retry,
    spoolDir: options.spoolDir,
    onError: (error) => log.error({ err: error }, `spooled ${source} webhook could not be delivered`),
  });
  finalSender.start();

  return {
    send: (path, payload) => answerSender.send(path, payload),
    progressSender,
    async sendFinal(path, payload) {
      try {
        const result = await finalSender.send(path, payload);
        if (!result.delivered)
          log.warn(
            { path, webhookId: result.webhookId },
            'API unreachable: report spooled for later delivery',
          );
        return { delivered: result.delivered };
      } catch (error) {
        // 4xx: the API refuses this report for good; retrying the same bytes cannot help.
        if (isDomainError(error, 'WEBHOOK_REJECTED')) {
          log.error({ err: error, path }, 'API rejected the report');
          return { delivered: false };
        }
        throw error;
      }
    },
    flush: () => finalSender.flush(),
    close: () => finalSender.close(),
  };
}

/**
 * A stopping worker's last word: one more delivery try for the spooled reports (what is left
 * waits for the next start), then the reporter is closed.
 */
export async function flushAndCloseReporter(
  reporter: Pick<ReportChannel, 'flush' | 'close'>,
  log: WorkerLog,
  spoolDir: string,
): Promise<void> {
  const spool = await reporter.flush().catch((error: unknown) => {
    log.warn({ err: error }, 'spool flush failed');
    return undefined;
  });
  if (spool?.remaining)
    log.warn({ remaining: spool.remaining, spoolDir }, 'reports left in the spool for the next start');
  await reporter.close();
}
