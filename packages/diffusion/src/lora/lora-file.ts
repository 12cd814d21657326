import { readFile } from 'node:fs/promises';
import {
  isSafetensorsError,
  parseSafetensors,
  tensorToFloat32,
  type SafetensorsFile,
  type TensorInfo,
} from '@stylelicense/safetensors';
import { DiffusionError } from '../pipeline/errors';

export type LoraComponent = 'unet' | 'text_encoder';

/** One low-rank update ΔW = up · down · (alpha / rank) for one Linear or Conv weight. */
export interface LoraLayer {
  component: LoraComponent;
  /** Diffusers module path (`down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_q`), or for kohya files
   *  the same path with every `.` turned into `_` (kohya's naming loses the dots; the model resolves it). */
  modulePath: string;
  naming: 'dotted' | 'underscored';
  /** [rank, in, (kh, kw)] */
  down: { values: Float32Array; shape: readonly number[] };
  /** [out, rank, (1, 1)] */
  up: { values: Float32Array; shape: readonly number[] };
  rank: number;
  /** alpha / rank; 1 when the file stores no alpha (PEFT files keep it in adapter_config.json). */
  scale: number;
  /** The key prefix in the file, for error messages. */
  key: string;
}

export interface LoraAdapter {
  source: string;
  format: 'kohya' | 'peft';
  layers: LoraLayer[];
}

type Part = 'down' | 'up' | 'alpha';

interface ParsedKey {
  component: LoraComponent;
  modulePath: string;
  naming: 'dotted' | 'underscored';
  part: Part;
  format: 'kohya' | 'peft';
}

// kohya-ss: lora_unet_<path_with_underscores>.lora_down.weight / .lora_up.weight / .alpha
const KOHYA = /^lora_(unet|te1?)_(.+)\.(lora_down\.weight|lora_up\.weight|alpha)$/;
// diffusers / PEFT: unet.<dotted.path>.lora_A.weight (also the older .lora.down.weight) / .alpha
const PEFT =
  /^(?:(unet|text_encoder)\.|base_model\.model\.)?(.+)\.(lora_A\.weight|lora_B\.weight|lora\.down\.weight|lora\.up\.weight|alpha)$/;

function parseKey(key: string): ParsedKey | undefined {
  const kohya = KOHYA.exec(key);
  if (kohya) {
    const [, component, path, suffix] = kohya;
    return {
      component: component === 'unet' ? 'unet' : 'text_encoder',
      modulePath: path!,
      naming: 'underscored',
      part: suffix === 'alpha' ? 'alpha' : suffix!.startsWith('lora_down') ? 'down' : 'up',
      format: 'kohya',
    };
  }
  const peft = PEFT.exec(key);
  if (peft) {
    const [, prefix, path, suffix] = peft;
    // Files saved from a bare model carry no component prefix: CLIP's modules start with text_model.
    const component: LoraComponent =
      prefix === 'text_encoder' || (!prefix && path!.startsWith('text_model.')) ? 'text_encoder' : 'unet';
    const part: Part =
      suffix === 'alpha'
        ? 'alpha'
        : suffix === 'lora_A.weight' || suffix === 'lora.down.weight'
          ? 'down'
          : 'up';
    return { component, modulePath: path!, naming: 'dotted', part, format: 'peft' };
  }
  return undefined;
}

const invalid = (source: string, message: string, cause?: unknown): DiffusionError =>
  new DiffusionError('LORA_INVALID', `LoRA ${source}: ${message}`, { cause });

/** Reads a LoRA `.safetensors` file (kohya or diffusers/PEFT keys). Problems are LORA_INVALID. */
export async function readLoraFile(path: string): Promise<LoraAdapter> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (error) {
    throw invalid(path, `cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`, error);
  }
  return parseLora(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength), path);
}

export function parseLora(bytes: Uint8Array, source = 'buffer'): LoraAdapter {
  let file: SafetensorsFile;
  try {
    file = parseSafetensors(bytes);
  } catch (error) {
    if (isSafetensorsError(error)) throw invalid(source, error.message, error);
    throw error;
  }
  const groups = new Map<string, { parsed: ParsedKey; parts: Partial<Record<Part, TensorInfo>> }>();
  const formats = new Set<'kohya' | 'peft'>();
  for (const [key, info] of file.tensors) {
    const parsed = parseKey(key);
    if (!parsed)
      throw invalid(
        source,
        `unrecognised tensor "${key}" (expected kohya lora_unet_/lora_te_ or diffusers/PEFT lora_A/lora_B keys)`,
      );
    formats.add(parsed.format);
    const id = `${parsed.component}:${parsed.modulePath}`;
    const group = groups.get(id) ?? { parsed, parts: {} };
    if (group.parts[parsed.part])
      throw invalid(source, `duplicate ${parsed.part} tensor for ${parsed.modulePath}`);
    group.parts[parsed.part] = info;
    groups.set(id, group);
  }
  if (groups.size === 0) throw invalid(source, 'contains no LoRA tensors');
  if (formats.size > 1) throw invalid(source, 'mixes kohya and diffusers/PEFT keys');

  const layers: LoraLayer[] = [];
  for (const { parsed, parts } of groups.values()) {
    const key = `${parsed.component}:${parsed.modulePath}`;
    if (!parts.down || !parts.up)
      throw invalid(source, `${key} lacks its ${parts.down ? 'up' : 'down'} weight`);
    const down = { values: finiteValues(file, parts.down, source), shape: parts.down.shape };
    const up = { values: finiteValues(file, parts.up, source), shape: parts.up.shape };
    const rank = down.shape[0] ?? 0;
    if (down.shape.length < 2 || up.shape.length < 2 || rank < 1 || up.shape[1] !== rank) {
      throw invalid(
        source,
        `${key}: down ${JSON.stringify(down.shape)} and up ${JSON.stringify(up.shape)} do not form a low-rank pair`,
      );
    }
    if (up.shape.slice(2).some((d) => d !== 1))
      throw invalid(source, `${key}: up weight must be 1×1 in its kernel dimensions`);
    let scale = 1;
    if (parts.alpha) {
      const alpha = finiteValues(file, parts.alpha, source);
      if (alpha.length !== 1) throw invalid(source, `${key}: alpha must be a scalar`);
      scale = alpha[0]! / rank;
    }
    layers.push({
      component: parsed.component,
      modulePath: parsed.modulePath,
      naming: parsed.naming,
      down,
      up,
      rank,
      scale,
      key,
    });
  }
  return { source, format: [...formats][0]!, layers };
}

function finiteValues(file: SafetensorsFile, info: TensorInfo, source: string): Float32Array {
  if (!['F32', 'F16', 'BF16', 'F64'].includes(info.dtype))
    throw invalid(source, `${info.name} has non-float dtype ${info.dtype}`);
  const values = tensorToFloat32(file, info.name);
  for (const v of values)
    if (!Number.isFinite(v)) throw invalid(source, `${info.name} contains NaN or infinite values`);
  return values;
}
