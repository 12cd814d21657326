import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { readSafetensorsHeader } from '@stylelicense/safetensors';
import {
  mergeLoraIntoModel,
  readExternalData,
  readLoraFile,
  type LoraComponent,
  type SessionSource,
} from '../lora';
import { addRuntimeLoraInputs, type RuntimeLoraLayout } from '../lora-runtime';
import { decodeModel, encodeModel } from '../onnx';
import { ClipTokenizer } from '../tokenizer/clip-tokenizer';
import { DiffusionError } from './errors';
import {
  createSession,
  describeProvider,
  type DiffusionLogger,
  type ExecutionProviderConfig,
} from './execution-provider';
import { openModelFolder, type ModelFolder } from './model-folder';
import { SessionCache, type CachedSession, type SessionLease } from './session-cache';
import type { GenerateRequest, LoadedModel } from './requests';

/**
 * `runtime`: one UNet and one text encoder session per model folder, with LoRA inputs (styles are
 * data); `merge`: the reference path, a session per style with the LoRA merged into the weights.
 */
export type LoraMode = 'runtime' | 'merge';

type Component = 'text_encoder' | 'unet' | 'vae_decoder';

interface MergedLora {
  path: string;
  strength: number;
  /** path + size + mtime: a re-uploaded file at the same path is a new LoRA */
  id: string;
  components: Set<LoraComponent>;
}

/** Opens model folders and leases their sessions from one cache. */
export class ModelLoader {
  readonly cache: SessionCache;
  private readonly folders = new Map<string, Promise<{ folder: ModelFolder; tokenizer: ClipTokenizer }>>();
  private announced = false;

  constructor(
    readonly provider: ExecutionProviderConfig,
    readonly mode: LoraMode,
    readonly maxRank: number,
    budgetBytes: number,
    private readonly logger: DiffusionLogger,
  ) {
    this.cache = new SessionCache(budgetBytes, logger);
  }

  /** Sessions for a model folder; `merged` names the style to merge (merge mode only). */
  async load(
    modelDir: string,
    merged?: GenerateRequest['lora'],
  ): Promise<{ model: LoadedModel; release(): void }> {
    const dir = resolve(modelDir);
    const { folder, tokenizer } = await this.openFolder(dir);
    const style = merged && this.mode === 'merge' ? await identifyLora(merged) : undefined;
    const leases: SessionLease[] = [];
    const release = (): void => leases.forEach((lease) => lease.release());
    try {
      const session = async (component: Component, file: string): Promise<SessionLease> => {
        const withLora =
          style && component !== 'vae_decoder' && style.components.has(component) ? style : undefined;
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
      const model: LoadedModel = {
        folder,
        tokenizer,
        textEncoder: textEncoder.session,
        unet: unet.session,
        vaeDecoder: vaeDecoder.session,
        provider: describeProvider(this.provider),
      };
      if (unet.lora) model.unetLora = unet.lora;
      if (textEncoder.lora) model.textEncoderLora = textEncoder.lora;
      return { model, release };
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
    component: Component,
    file: string,
    merged: MergedLora | undefined,
  ): Promise<CachedSession> {
    const started = performance.now();
    let source: SessionSource;
    let lora: RuntimeLoraLayout | undefined;
    if (merged) {
      const adapter = await readLoraFile(merged.path);
      const layers = adapter.layers.filter((layer) => layer.component === component);
      source = await mergeLoraIntoModel(file, layers, merged.strength);
    } else if (this.mode === 'runtime' && component !== 'vae_decoder') {
      ({ source, lora } = await runtimeSource(file, this.maxRank));
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
      lora: merged
        ? `${merged.path} @ ${merged.strength} (merged)`
        : lora
          ? `runtime, max rank ${lora.maxRank}`
          : undefined,
      provider: describeProvider(this.provider),
      ms: Math.round(performance.now() - started),
    });
    return lora ? { session, bytes: source.byteLength, lora } : { session, bytes: source.byteLength };
  }
}

/** The component with runtime LoRA inputs, as bytes (plus its external data files, read into memory). */
async function runtimeSource(
  file: string,
  maxRank: number,
): Promise<{ source: SessionSource; lora: RuntimeLoraLayout }> {
  let model;
  try {
    model = decodeModel(new Uint8Array(await readFile(file)));
  } catch (error) {
    if (error instanceof DiffusionError) throw error;
    throw new DiffusionError('MODEL_NOT_FOUND', `model file missing: ${file}`, { cause: error });
  }
  const rewritten = addRuntimeLoraInputs(model, { maxRank });
  const bytes = encodeModel(rewritten.model);
  const externalData = await readExternalData(rewritten.model, dirname(file));
  const byteLength = bytes.byteLength + externalData.reduce((n, f) => n + f.data.byteLength, 0);
  const { targets, scale, dataType } = rewritten;
  return {
    source: { model: bytes, byteLength, ...(externalData.length > 0 ? { externalData } : {}) },
    lora: { targets, scale, maxRank, dataType },
  };
}

export function checkStrength(strength: number): void {
  if (!Number.isFinite(strength) || Math.abs(strength) > 10) {
    throw new DiffusionError(
      'INVALID_INPUT',
      `LoRA strength must be a number between -10 and 10, got ${strength}`,
    );
  }
}

async function identifyLora(lora: NonNullable<GenerateRequest['lora']>): Promise<MergedLora> {
  checkStrength(lora.strength);
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
