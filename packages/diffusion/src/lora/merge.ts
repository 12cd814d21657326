import { open, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import {
  DataType,
  decodeModel,
  elementCount,
  encodeModel,
  float16BytesToFloat32,
  float32ToFloat16Bytes,
  tensorBytes,
  setInitializerFloats,
  type OnnxModel,
  type OnnxTensor,
} from '../onnx';
import { DiffusionError } from '../pipeline/errors';
import type { LoraLayer } from './lora-file';
import { buildWeightIndex, type WeightIndex, type WeightTarget } from './weight-index';

/** What `InferenceSession.create` gets: a model path, or bytes plus in-memory external data files. */
export interface SessionSource {
  model: string | Uint8Array;
  externalData?: { path: string; data: Uint8Array }[];
  /** Bytes held in memory for this source (for the session cache's budget). */
  byteLength: number;
}

/** Finds the weight a LoRA layer updates, or undefined. */
export function findTarget(index: WeightIndex, layer: LoraLayer): WeightTarget | undefined {
  const path = layer.naming === 'underscored' ? index.byUnderscored.get(layer.modulePath) : layer.modulePath;
  return path === undefined ? undefined : index.byPath.get(path);
}

/**
 * W ← W + strength · scale · (up · down), in the weight's exported layout. `weights` is the
 * initializer's values as float32 and is updated in place.
 */
export function applyDelta(
  weights: Float32Array,
  target: WeightTarget,
  layer: LoraLayer,
  strength: number,
): void {
  const dims = target.initializer.dims;
  const out = layer.up.shape[0]!;
  const rank = layer.rank;
  const inFlat = layer.down.values.length / rank; // in · kh · kw
  const fits =
    target.layout === 'in-out'
      ? dims.length === 2 && dims[0] === inFlat && dims[1] === out
      : dims[0] === out && elementCount(dims.slice(1)) === inFlat;
  if (!fits) {
    throw new DiffusionError(
      'LORA_INVALID',
      `LoRA ${layer.key}: delta [${out}, ${inFlat}] does not fit weight ${target.initializer.name} [${dims.join(', ')}]`,
    );
  }
  const factor = strength * layer.scale;
  const up = layer.up.values;
  const down = layer.down.values;
  // Loops run along contiguous rows of W, so even 1280×1280 weights stay cache-friendly.
  if (target.layout === 'out-in') {
    // W[o, i] += Σ_r f·up[o, r] · down[r, i]
    for (let o = 0; o < out; o++) {
      const base = o * inFlat;
      for (let r = 0; r < rank; r++) {
        const u = up[o * rank + r]! * factor;
        if (u === 0) continue;
        const downBase = r * inFlat;
        for (let i = 0; i < inFlat; i++) weights[base + i]! += u * down[downBase + i]!;
      }
    }
  } else {
    // Wᵀ[i, o] += Σ_r down[r, i] · f·up[o, r]
    const upT = new Float32Array(rank * out);
    for (let o = 0; o < out; o++)
      for (let r = 0; r < rank; r++) upT[r * out + o] = up[o * rank + r]! * factor;
    for (let i = 0; i < inFlat; i++) {
      const base = i * out;
      for (let r = 0; r < rank; r++) {
        const d = down[r * inFlat + i]!;
        if (d === 0) continue;
        const upBase = r * out;
        for (let o = 0; o < out; o++) weights[base + o]! += d * upT[upBase + o]!;
      }
    }
  }
}

/**
 * Loads one ONNX component and merges LoRA layers into its weights in memory. Inline weights are
 * re-encoded into the model bytes; weights kept in external data files (models over 2 GB) are
 * patched in copies of those files, handed to ONNX Runtime as in-memory external data.
 * Every layer must find its weight: a LoRA for another architecture is LORA_INVALID, not ignored.
 */
export async function mergeLoraIntoModel(
  modelFile: string,
  layers: readonly LoraLayer[],
  strength: number,
): Promise<SessionSource & { merged: number }> {
  const bytes = new Uint8Array(await readFile(modelFile));
  const model = decodeModel(bytes);
  const index = buildWeightIndex(model);
  const unmatched = layers.filter((layer) => !findTarget(index, layer));
  if (unmatched.length > 0) {
    const sample = unmatched
      .slice(0, 5)
      .map((l) => l.key)
      .join(', ');
    throw new DiffusionError(
      'LORA_INVALID',
      `LoRA has ${unmatched.length} layer(s) that match no weight of ${modelFile}: ${sample}${unmatched.length > 5 ? ', …' : ''}`,
    );
  }
  const external = new ExternalFiles(dirname(modelFile));
  let inlineChanged = false;
  for (const layer of layers) {
    const target = findTarget(index, layer)!;
    const tensor = target.initializer;
    if (tensor.dataLocation === 'external') {
      const view = await external.view(tensor);
      const weights = readFloats(tensor, view);
      applyDelta(weights, target, layer, strength);
      view.set(
        tensor.dataType === DataType.FLOAT16
          ? float32ToFloat16Bytes(weights)
          : new Uint8Array(weights.buffer),
      );
    } else {
      const weights = readFloats(tensor, tensorBytes(tensor));
      applyDelta(weights, target, layer, strength);
      setInitializerFloats(model, tensor.name, weights);
      inlineChanged = true;
    }
  }
  const modelBytes = inlineChanged ? encodeModel(model) : bytes;
  const externalData = await external.all(model);
  return {
    model: modelBytes,
    externalData: externalData.length > 0 ? externalData : undefined,
    byteLength: modelBytes.byteLength + externalData.reduce((n, f) => n + f.data.byteLength, 0),
    merged: layers.length,
  };
}

function readFloats(tensor: OnnxTensor, bytes: Uint8Array): Float32Array {
  if (tensor.dataType === DataType.FLOAT16) return float16BytesToFloat32(bytes);
  if (tensor.dataType !== DataType.FLOAT) {
    throw new DiffusionError(
      'LORA_INVALID',
      `weight ${tensor.name} is not float32/float16; LoRA cannot be merged`,
    );
  }
  const out = new Float32Array(bytes.byteLength / 4);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

/** External data files of one model, read once into private (mutable) buffers. */
class ExternalFiles {
  private readonly files = new Map<string, Uint8Array>();

  constructor(private readonly dir: string) {}

  private async file(location: string): Promise<Uint8Array> {
    let data = this.files.get(location);
    if (!data) {
      if (location.includes('..'))
        throw new DiffusionError('MODEL_INVALID', `external data location "${location}" is not allowed`);
      try {
        data = await readWholeFile(join(this.dir, location));
      } catch (error) {
        throw new DiffusionError(
          'MODEL_NOT_FOUND',
          `external data file missing: ${join(this.dir, location)}`,
          { cause: error },
        );
      }
      this.files.set(location, data);
    }
    return data;
  }

  async view(tensor: OnnxTensor): Promise<Uint8Array> {
    const field = (key: string): string | undefined => tensor.externalData?.find((e) => e.key === key)?.value;
    const location = field('location');
    if (!location)
      throw new DiffusionError('MODEL_INVALID', `tensor ${tensor.name} has no external location`);
    const file = await this.file(location);
    const offset = Number(field('offset') ?? 0);
    const length = Number(field('length') ?? file.byteLength - offset);
    if (offset + length > file.byteLength)
      throw new DiffusionError('MODEL_INVALID', `tensor ${tensor.name} points past ${location}`);
    return file.subarray(offset, offset + length);
  }

  /** Every external file the model references (ONNX Runtime needs all of them with a buffer model). */
  async all(model: OnnxModel): Promise<{ path: string; data: Uint8Array }[]> {
    const locations = new Set<string>();
    for (const t of model.graph.initializers) {
      const location = t.externalData?.find((e) => e.key === 'location')?.value;
      if (t.dataLocation === 'external' && location) locations.add(location);
    }
    const out: { path: string; data: Uint8Array }[] = [];
    for (const location of locations) out.push({ path: location, data: await this.file(location) });
    return out;
  }
}

/** Reads a file into one Uint8Array in chunks: fs.readFile refuses files over 2 GiB (sd15 fp32 weights are 3.4 GB). */
async function readWholeFile(path: string): Promise<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    const data = new Uint8Array(size);
    const chunk = 256 * 1024 ** 2;
    for (let offset = 0; offset < size;) {
      const { bytesRead } = await handle.read(data, offset, Math.min(chunk, size - offset), offset);
      if (bytesRead === 0) throw new Error(`${path} ended early`);
      offset += bytesRead;
    }
    return data;
  } finally {
    await handle.close();
  }
}

/** The external data files a model references, read into memory (ONNX Runtime needs them when the model is bytes). */
export function readExternalData(
  model: OnnxModel,
  dir: string,
): Promise<{ path: string; data: Uint8Array }[]> {
  return new ExternalFiles(dir).all(model);
}
