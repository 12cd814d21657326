import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { EngineCacheCounts } from '../pipeline/engine';
import { DiffusionError } from '../pipeline/errors';
import { consoleLogger, type DiffusionLogger } from '../pipeline/execution-provider';
import type { GenerateHooks, GenerateRequest, GeneratedImage } from '../pipeline/requests';
import type { FromThread, ThreadOptions, ToThread } from './protocol';

export interface DiffusionWorkerOptions extends ThreadOptions {
  logger?: DiffusionLogger;
  /**
   * The thread's entry module. Default: `inference-thread` beside this file (`.ts` when running
   * from source, through tsx's loader). A bundled app passes its bundled entry here.
   */
  entry?: URL;
}

interface Pending {
  resolve(value: unknown): void;
  reject(error: DiffusionError): void;
  hooks?: GenerateHooks;
  detach?: () => void;
}

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;

/** Result of a generation in the worker thread; `threadId` tells which thread ran it. */
export type WorkerImage = GeneratedImage & { threadId: number };

/**
 * Runs the diffusion engine in a worker thread: same API as DiffusionEngine, but ONNX Runtime's
 * blocking runs happen off the main event loop. Progress arrives as messages; aborting a
 * request's signal cancels it in the thread at the next step. If the thread dies, requests in
 * flight fail with a retryable error and the next request starts a new thread.
 */
export class DiffusionWorker {
  private worker: Worker | undefined;
  private ready: Promise<number> | undefined;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private closing = false;
  private readonly logger: DiffusionLogger;
  /** Counts of threads that ended, and the latest of the running thread. */
  private endedCaches: EngineCacheCounts = zeroCounts();
  private threadCaches: EngineCacheCounts = zeroCounts();

  private constructor(private readonly options: DiffusionWorkerOptions) {
    this.logger = options.logger ?? consoleLogger;
  }

  static async start(options: DiffusionWorkerOptions = {}): Promise<DiffusionWorker> {
    const worker = new DiffusionWorker(options);
    await worker.spawn();
    return worker;
  }

  /** Thread id of the current inference thread (differs from the main thread's 0). */
  async threadId(): Promise<number> {
    return this.spawn();
  }

  async generate(request: GenerateRequest, hooks: GenerateHooks = {}): Promise<WorkerImage> {
    const threadId = await this.spawn();
    const image = (await this.call({ type: 'generate', request }, hooks)) as GeneratedImage;
    return { ...image, threadId };
  }

  async preload(modelDir: string, lora?: GenerateRequest['lora']): Promise<void> {
    await this.spawn();
    await this.call({ type: 'preload', modelDir, lora });
  }

  /**
   * Hits and misses of the inference thread's session and LoRA-factor caches since start, across
   * thread restarts (they only grow); current as of the last answered request.
   */
  get cacheCounts(): EngineCacheCounts {
    return addCounts(this.endedCaches, this.threadCaches);
  }

  /** Cancels what runs, releases the sessions and ends the thread. */
  async close(): Promise<void> {
    this.closing = true;
    const worker = this.worker;
    if (!worker) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(() => void worker.terminate().then(() => resolve()), 10_000);
      worker.once('exit', () => {
        clearTimeout(timer);
        resolve();
      });
      worker.postMessage({ type: 'close' } satisfies ToThread);
    });
    this.worker = undefined;
  }

  private spawn(): Promise<number> {
    if (this.closing)
      return Promise.reject(new DiffusionError('INVALID_INPUT', 'the diffusion worker is closed'));
    if (this.ready) return this.ready;
    const { entry, logger: _logger, ...threadOptions } = this.options;
    const worker = entry
      ? new Worker(entry, { workerData: threadOptions })
      : import.meta.url.endsWith('.ts')
        ? sourceWorker(new URL('./inference-thread.ts', import.meta.url), threadOptions)
        : new Worker(new URL('./inference-thread.js', import.meta.url), { workerData: threadOptions });
    this.worker = worker;
    this.ready = new Promise<number>((resolve, reject) => {
      worker.on('message', (message: FromThread) => {
        if (message.type === 'ready') resolve(message.threadId);
        else this.onMessage(message);
      });
      worker.once('error', (error) => {
        reject(
          new DiffusionError('INFERENCE_FAILED', `inference thread failed: ${error.message}`, {
            cause: error,
          }),
        );
        this.onExit(`inference thread failed: ${error.message}`);
      });
      worker.once('exit', (code) => {
        reject(
          new DiffusionError(
            'INFERENCE_FAILED',
            `inference thread exited with code ${code} before it was ready`,
          ),
        );
        this.onExit(`inference thread exited with code ${code}`);
      });
    });
    return this.ready;
  }

  private call(
    message: WithoutId<Extract<ToThread, { type: 'generate' | 'preload' }>>,
    hooks?: GenerateHooks,
  ): Promise<unknown> {
    const worker = this.worker!;
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const pending: Pending = { resolve, reject, hooks };
      const signal = hooks?.signal;
      if (signal) {
        if (signal.aborted) {
          reject(new DiffusionError('CANCELLED', 'generation was cancelled', { retryable: false }));
          return;
        }
        const onAbort = (): void => worker.postMessage({ type: 'cancel', id } satisfies ToThread);
        signal.addEventListener('abort', onAbort, { once: true });
        pending.detach = () => signal.removeEventListener('abort', onAbort);
      }
      this.pending.set(id, pending);
      worker.postMessage({ ...message, id } satisfies ToThread);
    });
  }

  private onMessage(message: FromThread): void {
    switch (message.type) {
      case 'log':
        this.logger[message.level](message.message, message.fields);
        return;
      case 'progress':
        this.pending.get(message.id)?.hooks?.onProgress?.(message.progress);
        return;
      case 'caches':
        this.threadCaches = message.counts;
        return;
      case 'result':
      case 'done':
      case 'error': {
        const pending = this.pending.get(message.id);
        if (!pending) return;
        this.pending.delete(message.id);
        pending.detach?.();
        if (message.type === 'error') {
          const { code, message: text, retryable } = message.error;
          pending.reject(new DiffusionError(code, text, { retryable }));
        } else {
          pending.resolve(message.type === 'result' ? message.image : undefined);
        }
        return;
      }
      default:
        return;
    }
  }

  private onExit(reason: string): void {
    this.worker = undefined;
    this.ready = undefined;
    this.endedCaches = addCounts(this.endedCaches, this.threadCaches);
    this.threadCaches = zeroCounts();
    for (const [id, pending] of this.pending) {
      this.pending.delete(id);
      pending.detach?.();
      pending.reject(new DiffusionError('INFERENCE_FAILED', reason, { retryable: true }));
    }
  }
}

/**
 * Running from TypeScript sources (tests, tsx): the thread first registers tsx's ESM loader, then
 * imports the entry. (`--import tsx` in a Worker's execArgv is not honoured by Node 20.)
 */
function sourceWorker(entry: URL, workerData: ThreadOptions): Worker {
  const tsxApi = pathToFileURL(tsxEsmApiPath()).href;
  const bootstrap = `import(${JSON.stringify(tsxApi)}).then((api) => { api.register(); return import(${JSON.stringify(entry.href)}); });`;
  return new Worker(bootstrap, { eval: true, workerData });
}

/** The ES-module build of tsx's API, found through tsx's own export map (require.resolve gives the CommonJS one). */
function tsxEsmApiPath(): string {
  const manifestPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    exports: Record<string, string | { import?: { default?: string } }>;
  };
  const target = manifest.exports['./esm/api'];
  const relative = typeof target === 'string' ? target : target?.import?.default;
  if (!relative)
    throw new DiffusionError(
      'INFERENCE_FAILED',
      'tsx does not export ./esm/api; cannot run the worker from sources',
    );
  return join(dirname(manifestPath), relative);
}

const zeroCounts = (): EngineCacheCounts => ({
  session: { hits: 0, misses: 0 },
  loraFactors: { hits: 0, misses: 0 },
});

function addCounts(a: EngineCacheCounts, b: EngineCacheCounts): EngineCacheCounts {
  return {
    session: { hits: a.session.hits + b.session.hits, misses: a.session.misses + b.session.misses },
    loraFactors: {
      hits: a.loraFactors.hits + b.loraFactors.hits,
      misses: a.loraFactors.misses + b.loraFactors.misses,
    },
  };
}
