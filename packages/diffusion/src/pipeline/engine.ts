import { LoraStore } from '../lora-runtime/store';
import { DiffusionError } from './errors';
import {
  consoleLogger,
  describeProvider,
  type DiffusionLogger,
  type ExecutionProviderConfig,
} from './execution-provider';
import { checkStrength, ModelLoader, type LoraMode } from './model-loader';
import { inputSpecs, pickInput } from './tensors';
import type { BatchItem, GenerateHooks, GenerateRequest, GeneratedImage } from './requests';
import { generateBatchWithModel } from './text-to-image';

/** Hits and misses of one cache since the engine started. */
export interface CacheCounts {
  hits: number;
  misses: number;
}

/** The engine's caches: ONNX Runtime sessions, and styles' decoded LoRA factors (runtime mode). */
export interface EngineCacheCounts {
  session: CacheCounts;
  loraFactors: CacheCounts;
}

export interface DiffusionEngineOptions {
  /** Default: CPU. With CUDA, a missing provider is CUDA_UNAVAILABLE, never a CPU fallback. */
  provider?: ExecutionProviderConfig;
  /** Estimated bytes of model weights to keep loaded (default 8 GiB). */
  cacheBudgetBytes?: number;
  lora?: {
    /** `runtime` (default): styles are inputs of shared sessions; `merge`: the reference path. */
    mode?: LoraMode;
    /** Factors are zero-padded to this rank (default 64); higher-rank LoRAs are LORA_INVALID. */
    maxRank?: number;
    /** Bytes of decoded style factors kept in memory (default 1 GiB). */
    budgetBytes?: number;
  };
  batch?: {
    /** Most images in one UNet call (default 8). */
    maxItems?: number;
    /** How long a lone request waits for company when the engine is idle (default 2 ms). */
    windowMs?: number;
  };
  logger?: DiffusionLogger;
}

interface Waiting {
  request: GenerateRequest;
  hooks: GenerateHooks;
  key: string;
  queuedAt: number;
  resolve(image: GeneratedImage): void;
  reject(error: unknown): void;
}

/**
 * Generates images on one execution provider. Concurrent requests that can share UNet calls (same
 * model, size, steps, scheduler, guidance mode; any styles and seeds) run as one batch; each keeps
 * its own progress, cancellation and failure. Styles are runtime inputs of one session per model
 * folder (or merged sessions per style in `merge` mode).
 */
export class DiffusionEngine {
  readonly provider: ExecutionProviderConfig;
  private readonly loader: ModelLoader;
  private readonly store: LoraStore;
  private readonly logger: DiffusionLogger;
  private readonly maxItems: number;
  private readonly windowMs: number;
  private readonly waiting: Waiting[] = [];
  private draining: Promise<void> | undefined;
  private closed = false;

  constructor(options: DiffusionEngineOptions = {}) {
    this.provider = options.provider ?? { provider: 'cpu' };
    this.logger = options.logger ?? consoleLogger;
    const maxRank = options.lora?.maxRank ?? 64;
    this.loader = new ModelLoader(
      this.provider,
      options.lora?.mode ?? 'runtime',
      maxRank,
      options.cacheBudgetBytes ?? 8 * 1024 ** 3,
      this.logger,
    );
    this.store = new LoraStore(options.lora?.budgetBytes ?? 1024 ** 3, this.logger);
    this.maxItems = Math.max(1, options.batch?.maxItems ?? 8);
    this.windowMs = Math.max(0, options.batch?.windowMs ?? 2);
  }

  /** Generates one image. Errors are DiffusionError with a code and a retryable flag. */
  generate(request: GenerateRequest, hooks: GenerateHooks = {}): Promise<GeneratedImage> {
    if (this.closed)
      return Promise.reject(new DiffusionError('INVALID_INPUT', 'the diffusion engine is closed'));
    return new Promise<GeneratedImage>((resolve, reject) => {
      this.waiting.push({
        request,
        hooks,
        key: this.keyOf(request),
        queuedAt: performance.now(),
        resolve,
        reject,
      });
      this.kick();
    });
  }

  private kick(): void {
    if (this.draining) return;
    this.draining = this.drain().finally(() => {
      this.draining = undefined;
      // A request may have arrived after the loop saw an empty queue but before this ran.
      if (this.waiting.length > 0) this.kick();
    });
  }

  /** Loads (and caches) a model, and a style's factors, ahead of the first request. */
  async preload(modelDir: string, lora?: GenerateRequest['lora']): Promise<void> {
    const leases = await this.loader.load(modelDir, lora);
    try {
      if (lora && this.loader.mode === 'runtime') await this.style(leases.model, modelDir, lora);
    } finally {
      leases.release();
    }
  }

  /** Cache keys currently held, for diagnostics and tests. */
  get cachedSessions(): string[] {
    return this.loader.cache.keys;
  }

  /** Hits and misses of the session and LoRA-factor caches so far (they only grow). */
  get cacheCounts(): EngineCacheCounts {
    return { session: { ...this.loader.cache.counts }, loraFactors: { ...this.store.counts } };
  }

  /** Styles held in memory and files decoded so far, for diagnostics and tests. */
  get styles(): { held: number; loads: number; bytes: number } {
    return { held: this.store.size, loads: this.store.loads, bytes: this.store.totalBytes };
  }

  /** Refuses new work, lets queued and running generations finish (abort their signals to hurry them), releases sessions. */
  async close(): Promise<void> {
    this.closed = true;
    while (this.draining) await this.draining;
    await this.loader.cache.close();
  }

  private keyOf(request: GenerateRequest): string {
    const style =
      this.loader.mode === 'merge' && request.lora ? `${request.lora.path}@${request.lora.strength}` : '';
    const guided = request.guidanceScale > 1;
    return [
      request.modelDir,
      request.width,
      request.height,
      request.steps,
      request.scheduler ?? '',
      guided,
      style,
    ].join('|');
  }

  private async drain(): Promise<void> {
    while (this.waiting.length > 0) {
      // A lone request on an idle engine waits `windowMs` for others that could share its UNet calls.
      const first = this.waiting[0]!;
      const waited = performance.now() - first.queuedAt;
      if (this.waiting.length < this.maxItems && waited < this.windowMs) {
        await new Promise((resolve) => setTimeout(resolve, this.windowMs - waited));
      }
      const group: Waiting[] = [];
      for (let i = 0; i < this.waiting.length && group.length < this.maxItems;) {
        if (this.waiting[i]!.key === first.key) group.push(...this.waiting.splice(i, 1));
        else i++;
      }
      await this.run(group);
    }
  }

  private async run(group: Waiting[]): Promise<void> {
    const started = performance.now();
    const first = group[0]!.request;
    let leases: Awaited<ReturnType<ModelLoader['load']>>;
    try {
      leases = await this.loader.load(first.modelDir, first.lora);
    } catch (error) {
      for (const waiting of group) waiting.reject(error);
      return;
    }
    try {
      const { model } = leases;
      const items: { waiting: Waiting; item: BatchItem }[] = [];
      for (const waiting of group) {
        try {
          const style =
            waiting.request.lora && this.loader.mode === 'runtime'
              ? await this.style(model, waiting.request.modelDir, waiting.request.lora)
              : undefined;
          const loadMs = performance.now() - waiting.queuedAt;
          items.push({
            waiting,
            item: { request: waiting.request, hooks: waiting.hooks, loadMs, ...(style ? { style } : {}) },
          });
        } catch (error) {
          // A bad LoRA fails its own request only.
          waiting.reject(error);
        }
      }
      // Exports with a fixed batch of 1 take their items one at a time.
      const sample = pickInput(inputSpecs(model.unet, 'unet'), ['sample'], 0, 'unet');
      const together = sample.shape[0] === 1 ? items.map((x) => [x]) : [items];
      for (const part of together) {
        if (part.length === 0) continue;
        try {
          const results = await generateBatchWithModel(
            model,
            part.map((x) => x.item),
          );
          results.forEach((result, i) => {
            if (result.status === 'fulfilled') part[i]!.waiting.resolve(result.value);
            else part[i]!.waiting.reject(result.reason);
          });
        } catch (error) {
          for (const x of part) x.waiting.reject(error);
        }
      }
      if (group.length > 1) {
        this.logger.info('ran a batch', {
          images: group.length,
          provider: describeProvider(this.provider),
          ms: Math.round(performance.now() - started),
        });
      }
    } finally {
      leases.release();
    }
  }

  private async style(
    model: Awaited<ReturnType<ModelLoader['load']>>['model'],
    modelDir: string,
    lora: NonNullable<GenerateRequest['lora']>,
  ): Promise<NonNullable<BatchItem['style']>> {
    checkStrength(lora.strength);
    if (!model.unetLora) throw new DiffusionError('MODEL_INVALID', 'the UNet session has no LoRA inputs');
    const entry = await this.store.get(lora.path, {
      key: `${modelDir}@${this.loader.maxRank}`,
      unet: model.unetLora,
      ...(model.textEncoderLora ? { textEncoder: model.textEncoderLora } : {}),
    });
    return { ...entry, strength: lora.strength };
  }
}
