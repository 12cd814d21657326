import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { isDomainError, newWebhookId } from '@stylelicense/contracts';
import { createWebhookSender, type WebhookSenderOptions } from './webhook-sender';

// A worker must not lose a finished result because the API is down: undelivered webhooks
// are written to a spool directory (one JSON file each) and replayed in order later.

interface SpooledWebhook {
  webhookId: string;
  path: string;
  payload: unknown;
  spooledAt: string;
}

export interface DurableWebhookSenderOptions extends WebhookSenderOptions {
  spoolDir: string;
  /** How often `start()` retries the spool; default 5 s. */
  flushIntervalMs?: number;
  /** Called when a spooled webhook is refused (4xx) and moved to `rejected/`, or a flush fails. */
  onError?: (error: unknown) => void;
}

export interface DurableSendResult {
  webhookId: string;
  /** false: kept in the spool, to be delivered by a later flush. */
  delivered: boolean;
}

export interface DurableWebhookSender {
  send(path: string, payload: unknown): Promise<DurableSendResult>;
  /** Delivers spooled webhooks oldest first; stops at the first one the API cannot take yet. */
  flush(): Promise<{ delivered: number; remaining: number }>;
  pending(): Promise<number>;
  start(): void;
  close(): Promise<void>;
}

export function createDurableWebhookSender(options: DurableWebhookSenderOptions): DurableWebhookSender {
  const sender = createWebhookSender(options);
  const rejectedDir = join(options.spoolDir, 'rejected');
  let sequence = 0;
  let timer: NodeJS.Timeout | undefined;
  let queue: Promise<unknown> = Promise.resolve();
  const ready = mkdir(rejectedDir, { recursive: true });

  // Sends and flushes run one at a time so spooled webhooks keep their order.
  function serialized<T>(task: () => Promise<T>): Promise<T> {
    const run = queue.then(task, task);
    queue = run.catch(() => undefined);
    return run;
  }

  async function spoolFiles(): Promise<string[]> {
    await ready;
    const names = await readdir(options.spoolDir);
    return names.filter((name) => name.endsWith('.json')).sort();
  }

  async function writeSpool(entry: SpooledWebhook): Promise<void> {
    await ready;
    sequence += 1;
    const name = `${String(Date.now()).padStart(15, '0')}-${String(sequence).padStart(6, '0')}-${entry.webhookId}.json`;
    const temporary = join(options.spoolDir, `.${name}.tmp`);
    await writeFile(temporary, JSON.stringify(entry));
    await rename(temporary, join(options.spoolDir, name)); // atomic: a crash never leaves half a file
  }

  /** true = gone from the spool (delivered or moved to rejected/), false = API still unreachable. */
  async function deliverSpooled(name: string): Promise<boolean> {
    const file = join(options.spoolDir, name);
    let entry: SpooledWebhook;
    try {
      entry = JSON.parse(await readFile(file, 'utf8')) as SpooledWebhook;
    } catch (error) {
      // A damaged file must not block every result behind it.
      await rename(file, join(rejectedDir, name));
      options.onError?.(error);
      return true;
    }
    try {
      await sender.send(entry.path, entry.payload, { webhookId: entry.webhookId });
      await rm(file);
      return true;
    } catch (error) {
      if (isDomainError(error, 'WEBHOOK_REJECTED')) {
        await rename(file, join(rejectedDir, name));
        options.onError?.(error);
        return true;
      }
      if (isDomainError(error, 'WEBHOOK_DELIVERY_FAILED')) return false;
      throw error;
    }
  }

  async function flushNow(): Promise<{ delivered: number; remaining: number }> {
    const names = await spoolFiles();
    let delivered = 0;
    for (const name of names) {
      if (!(await deliverSpooled(name))) break;
      delivered += 1;
    }
    return { delivered, remaining: names.length - delivered };
  }

  return {
    send(path, payload) {
      return serialized(async () => {
        const webhookId = newWebhookId();
        if ((await spoolFiles()).length > 0) {
          // Older results are still waiting: queue behind them to keep order.
          await writeSpool({ webhookId, path, payload, spooledAt: new Date().toISOString() });
          await flushNow();
          const stillSpooled = (await spoolFiles()).some((name) => name.endsWith(`-${webhookId}.json`));
          return { webhookId, delivered: !stillSpooled };
        }
        try {
          await sender.send(path, payload, { webhookId });
          return { webhookId, delivered: true };
        } catch (error) {
          if (!isDomainError(error, 'WEBHOOK_DELIVERY_FAILED')) throw error;
          await writeSpool({ webhookId, path, payload, spooledAt: new Date().toISOString() });
          return { webhookId, delivered: false };
        }
      });
    },
    flush() {
      return serialized(flushNow);
    },
    async pending() {
      return (await spoolFiles()).length;
    },
    start() {
      if (timer) return;
      timer = setInterval(() => {
        serialized(flushNow).catch((error: unknown) => options.onError?.(error));
      }, options.flushIntervalMs ?? 5_000);
      timer.unref();
    },
    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await queue;
    },
  };
}
