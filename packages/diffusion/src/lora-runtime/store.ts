import { stat } from 'node:fs/promises';
import { resolve } from 'node:path';
import { readLoraFile } from '../lora';
import { DiffusionError } from '../pipeline/errors';
import type { DiffusionLogger } from '../pipeline/execution-provider';
import { packStyleFactors, type RuntimeLoraLayout, type StyleFactors } from './factors';

/** A style's factors for the UNet and (when the LoRA has layers for it) the text encoder. */
export interface StyleEntry {
  unet?: StyleFactors;
  textEncoder?: StyleFactors;
}

export interface StoreLayouts {
  /** Identifies the rewritten models (folder + max rank): factors packed for one do not fit another. */
  key: string;
  unet: RuntimeLoraLayout;
  textEncoder?: RuntimeLoraLayout;
}

interface Cached {
  entry: StyleEntry;
  bytes: number;
  lastUsed: number;
}

/**
 * Styles' LoRA factors in memory: each `.safetensors` file is decoded and packed once per model,
 * kept least-recently-used within a byte budget. A switch between stored styles is a map lookup;
 * a file re-written at the same path (new size or mtime) is a new style.
 */
export class LoraStore {
  private readonly entries = new Map<string, Cached>();
  private readonly loading = new Map<string, Promise<Cached>>();
  private clock = 0;
  /** Files decoded so far (for diagnostics and tests). */
  loads = 0;
  /** Requests served from held factors, and requests that waited for a file to be decoded. */
  readonly counts = { hits: 0, misses: 0 };

  constructor(
    readonly budgetBytes: number,
    private readonly logger: DiffusionLogger,
  ) {}

  get totalBytes(): number {
    let sum = 0;
    for (const cached of this.entries.values()) sum += cached.bytes;
    return sum;
  }

  get size(): number {
    return this.entries.size;
  }

  async get(path: string, layouts: StoreLayouts): Promise<StyleEntry> {
    const file = resolve(path);
    let info: Awaited<ReturnType<typeof stat>>;
    try {
      info = await stat(file);
    } catch (error) {
      throw new DiffusionError('LORA_INVALID', `LoRA file not found: ${file}`, { cause: error });
    }
    const key = `${layouts.key}|${file}:${info.size}:${info.mtimeMs}`;
    let cached = this.entries.get(key);
    this.counts[cached ? 'hits' : 'misses']++;
    if (!cached) {
      let pending = this.loading.get(key);
      if (!pending) {
        pending = this.load(file, layouts);
        this.loading.set(key, pending);
        pending.then(
          (loaded) => {
            this.loading.delete(key);
            this.entries.set(key, loaded);
            this.evict(key);
          },
          () => this.loading.delete(key),
        );
      }
      cached = await pending;
    }
    cached.lastUsed = ++this.clock;
    return cached.entry;
  }

  private async load(file: string, layouts: StoreLayouts): Promise<Cached> {
    const started = performance.now();
    const adapter = await readLoraFile(file);
    this.loads++;
    const unetLayers = adapter.layers.filter((l) => l.component === 'unet');
    const teLayers = adapter.layers.filter((l) => l.component === 'text_encoder');
    if (teLayers.length > 0 && !layouts.textEncoder)
      throw new DiffusionError(
        'LORA_INVALID',
        `LoRA ${file} has text encoder layers this model cannot serve`,
      );
    const entry: StyleEntry = {};
    if (unetLayers.length > 0) entry.unet = packStyleFactors(unetLayers, layouts.unet);
    if (teLayers.length > 0) entry.textEncoder = packStyleFactors(teLayers, layouts.textEncoder!);
    const bytes = (entry.unet?.byteLength ?? 0) + (entry.textEncoder?.byteLength ?? 0);
    this.logger.info('loaded style factors', {
      file,
      format: adapter.format,
      layers: adapter.layers.length,
      bytes,
      ms: Math.round(performance.now() - started),
    });
    return { entry, bytes, lastUsed: ++this.clock };
  }

  /** Drops least recently used styles past the budget, never the one just loaded. */
  private evict(keep: string): void {
    while (this.totalBytes > this.budgetBytes) {
      let victim: string | undefined;
      let oldest = Infinity;
      for (const [key, cached] of this.entries) {
        if (key !== keep && cached.lastUsed < oldest) {
          oldest = cached.lastUsed;
          victim = key;
        }
      }
      if (victim === undefined) return;
      this.entries.delete(victim);
    }
  }
}
