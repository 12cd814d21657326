import { readdir, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { readSafetensorsHeader } from '@stylelicense/safetensors';
import { mergeLoraIntoModel, readLoraFile, type LoraComponent, type SessionSource } from '../lora';
import { ClipTokenizer } from '../tokenizer/clip-tokenizer';
import { DiffusionError } from './errors';
import {
  consoleLogger,
  createSession,
  describeProvider,
  type DiffusionLogger,
  type ExecutionProviderConfig,
} from './execution-provider';
import { openModelFolder, type ModelFolder } from './model-folder';
import { SessionCache, type SessionLease } from './session-cache';
import {
  generateWithModel,
  type GenerateHooks,
  type GenerateRequest,
  type GeneratedImage,
  type LoadedModel,
} from './text-to-image';

export interface DiffusionEngineOptions {
  /** Default: CPU. With CUDA, a missing provider is CUDA_UNAVAILABLE, never a CPU fallback. */
  provider?: ExecutionProviderConfig;
  /** Estimated bytes of model weights to keep loaded (default 8 GiB). */
  cacheBudgetBytes?: number;
  logger?: DiffusionLogger;
}

interface LoraIdentity {
  path: string;
  strength: number;
  /** path + size + mtime: a re-uploaded file at the same path is a new LoRA */
  id: string;
  components: Set<LoraComponent>;
}

/**
 * Loads models (with LoRA merged into the weights) on one execution provider, caches their
 * sessions per (component, model, LoRA, strength) within a memory budget, and generates images.
 */
export class DiffusionEngine {
  readonly provider: ExecutionProviderConfig;
  private readonly cache: SessionCache;
  private readonly logger: DiffusionLogger;
  private readonly folders = new Map<string, Promise<{ folder: ModelFolder; tokenizer: ClipTokenizer }>>();
  private readonly active = new Set<Promise<unknown>>();
  private announced = false;
  private closed = false;

  constructor(options: DiffusionEngineOptions = {}) {
    this.provider = options.provider ?? { provider: 'cpu' };
    this.logger = options.logger ?? consoleLogger;
    this.cache = new SessionCache(options.cacheBudgetBytes ?? 8 * 1024 ** 3, this.logger);
  }

  /** Generates one image. Errors are DiffusionError with a code and a retryable flag. */
  async generate(request: GenerateRequest, hooks: GenerateHooks = {}): Promise<GeneratedImage> {
    if (this.closed) throw new DiffusionError('INVALID_INPUT', 'the diffusion engine is closed');
    const started = performance.now();
    const running = (async () => {
      const leases = await this.load(request.modelDir, request.lora);
      try {
        return await generateWithModel(leases.model, request, hooks, performance.now() - started);
      } finally {
        leases.release();
      }
    })();
    this.active.add(running);
    try {
      return await running;
    } finally {
      this.active.delete(running);
    }
  }

  /** Loads (and caches) a model + LoRA combination ahead of the first request. */
  async preload(modelDir: string, lora?: GenerateRequest['lora']): Promise<void> {
    (await this.load(modelDir, lora)).release();
  }

  /** Cache keys currently held, for diagnostics and tests. */
  get cachedSessions(): string[] {
    return this.cache.keys;
  }

  /** Refuses new work, lets running generations finish (abort their signals to hurry them), releases sessions. */
  async close(): Promise<void> {
    this.closed = true;
    await Promise.allSettled([...this.active]);
    await this.cache.close();
  }

  private async load(
    modelDir: string,
    lora: GenerateRequest['lora'],
  ): Promise<{ model: LoadedModel; release(): void }> {
    const dir = resolve(modelDir);
    const { folder, tokenizer } = await this.openFolder(dir);
    const identity = lora ? await identifyLora(lora) : undefined;
    const leases: SessionLease[] = [];
    const release = (): void => leases.forEach((lease) => lease.release());
    try {
      const session = async (
        component: 'text_encoder' | 'unet' | 'vae_decoder',
        file: string,
      ): Promise<SessionLease> => {
        const withLora =
          identity && component !== 'vae_decoder' && identity.components.has(component)
            ? identity
            : undefined;
        const key = [
          describeProvider(this.provider),
          component,
          dir,
          withLora ? `${withLora.id}@${withLora.strength}` : '-',
        ].join('|');
        const lease = await this.cache.acquire(key, () => this.createComponent(component, file, withLora));
        leases.push(lease);
        return lease;
      };
      const textEncoder = await session('text_encoder', folder.textEncoder);
      const unet = await session('unet', folder.unet);
      const vaeDecoder = await session('vae_decoder', folder.vaeDecoder);
      return {
        model: {
          folder,
          tokenizer,
          textEncoder: textEncoder.session,
          unet: unet.session,
          vaeDecoder: vaeDecoder.session,
          provider: describeProvider(this.provider),
        },
        release,
      };
    } catch (error) {
      release();
      throw error;
    }
  }

  private openFolder(dir: string): Promise<{ folder: ModelFolder; tokenizer: ClipTokenizer }> {
    let opening = this.folders.get(dir);
    if (!opening) {
      opening = (async () => {
        const folder = await openModelFolder(dir);
        return { folder, tokenizer: await ClipTokenizer.fromDirectory(folder.tokenizerDir) };
      })();
      this.folders.set(dir, opening);
      // A failed open (missing folder) must not stick: the model may be installed later.
      opening.catch(() => this.folders.delete(dir));
    }
    return opening;
  }

  private async createComponent(
    component: 'text_encoder' | 'unet' | 'vae_decoder',
    file: string,
    lora: LoraIdentity | undefined,
  ): Promise<{ session: Awaited<ReturnType<typeof createSession>>; bytes: number }> {
    const started = performance.now();
    let source: SessionSource;
    if (lora) {
      const adapter = await readLoraFile(lora.path);
      const layers = adapter.layers.filter((layer) => layer.component === component);
      source = await mergeLoraIntoModel(file, layers, lora.strength);
    } else {
      source = { model: file, byteLength: await componentBytes(file) };
    }
    const session = await createSession(source, this.provider, component);
    if (!this.announced) {
      this.announced = true;
      this.logger.info(`onnxruntime execution provider: ${describeProvider(this.provider)}`);
    }
    this.logger.info('loaded model component', {
      component,
      file,
      lora: lora ? `${lora.path} @ ${lora.strength}` : undefined,
      provider: describeProvider(this.provider),
      ms: Math.round(performance.now() - started),
    });
    return { session, bytes: source.byteLength };
  }
}

async function identifyLora(lora: NonNullable<GenerateRequest['lora']>): Promise<LoraIdentity> {
  if (!Number.isFinite(lora.strength) || Math.abs(lora.strength) > 10) {
    throw new DiffusionError(
      'INVALID_INPUT',
      `LoRA strength must be a number between -10 and 10, got ${lora.strength}`,
    );
  }
  const path = resolve(lora.path);
  let info: Awaited<ReturnType<typeof stat>>;
  try {
    info = await stat(path);
  } catch (error) {
    throw new DiffusionError('LORA_INVALID', `LoRA file not found: ${path}`, { cause: error });
  }
  let keys: string[];
  try {
    keys = [...(await readSafetensorsHeader(path)).tensors.keys()];
  } catch (error) {
    throw new DiffusionError('LORA_INVALID', `LoRA ${path}: ${(error as Error).message}`, { cause: error });
  }
  // Only the components a LoRA touches get their own sessions; the rest are shared.
  const components = new Set<LoraComponent>();
  for (const key of keys) {
    components.add(
      /^(lora_te|text_encoder\.|text_model\.|base_model\.model\.text_model\.)/.test(key)
        ? 'text_encoder'
        : 'unet',
    );
  }
  return { path, strength: lora.strength, id: `${path}:${info.size}:${info.mtimeMs}`, components };
}

/** Bytes of a component: its model file plus external data files beside it. */
async function componentBytes(file: string): Promise<number> {
  const dir = dirname(file);
  let total = 0;
  for (const name of await readdir(dir)) {
    if (name.endsWith('.json')) continue;
    total += (await stat(join(dir, name))).size;
  }
  return total;
}
