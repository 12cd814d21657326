// A style's LoRA as the runtime inputs of one rewritten model: per target, A = downᵀ [in, maxRank]
// and B = (alpha/rank)·upᵀ [maxRank, out], zero-padded past the LoRA's rank, in the model's dtype,
// so assembling a batch is a copy per item.
import { DataType, float32ToHalfBits } from '../onnx';
import type { LoraLayer } from '../lora';
import { DiffusionError } from '../pipeline/errors';
import { loadOrt, type OrtTensor } from '../pipeline/ort';
import type { RuntimeLoraModel, RuntimeLoraTarget } from './rewrite';

/** What factor packing needs from a rewritten model (its targets, rank and dtype). */
export type RuntimeLoraLayout = Pick<RuntimeLoraModel, 'targets' | 'maxRank' | 'dataType' | 'scale'>;

type FactorArray = Float32Array | Uint16Array;

/** One style's factors for one layout; targets the LoRA does not touch are absent (zeros). */
export interface StyleFactors {
  byTarget: Map<string, { a: FactorArray; b: FactorArray }>;
  rank: number;
  byteLength: number;
}

const invalid = (message: string): DiffusionError => new DiffusionError('LORA_INVALID', message);

/**
 * Packs LoRA layers (one component's) for a rewritten model. Every layer must land on a target:
 * a layer the runtime path cannot serve (a 3×3 conv, a module outside the targets) is LORA_INVALID,
 * never silently dropped.
 */
export function packStyleFactors(layers: readonly LoraLayer[], layout: RuntimeLoraLayout): StyleFactors {
  const byPath = new Map(layout.targets.map((t) => [t.target, t]));
  const byUnderscored = new Map(layout.targets.map((t) => [t.target.replaceAll('.', '_'), t]));
  const { maxRank } = layout;
  const half = layout.dataType === DataType.FLOAT16;
  const byTarget = new Map<string, { a: FactorArray; b: FactorArray }>();
  let rank = 0;
  let byteLength = 0;
  const unmatched: string[] = [];
  for (const layer of layers) {
    const target =
      layer.naming === 'underscored' ? byUnderscored.get(layer.modulePath) : byPath.get(layer.modulePath);
    if (!target) {
      unmatched.push(layer.key);
      continue;
    }
    if (layer.rank > maxRank)
      throw invalid(
        `LoRA ${layer.key}: rank ${layer.rank} exceeds the maximum rank ${maxRank} of this server`,
      );
    checkShape(layer, target);
    const a = new Float32Array(target.in * maxRank);
    const b = new Float32Array(maxRank * target.out);
    const down = layer.down.values;
    const up = layer.up.values;
    for (let r = 0; r < layer.rank; r++) {
      for (let i = 0; i < target.in; i++) a[i * maxRank + r] = down[r * target.in + i]!;
      for (let o = 0; o < target.out; o++) b[r * target.out + o] = up[o * layer.rank + r]! * layer.scale;
    }
    const packed = half ? { a: float32ToHalfBits(a), b: float32ToHalfBits(b) } : { a, b };
    byTarget.set(target.target, packed);
    byteLength += packed.a.byteLength + packed.b.byteLength;
    rank = Math.max(rank, layer.rank);
  }
  if (unmatched.length > 0) {
    throw invalid(
      `LoRA has ${unmatched.length} layer(s) that match no projection the runtime path serves in this model: ${unmatched.slice(0, 5).join(', ')}${unmatched.length > 5 ? ', …' : ''}`,
    );
  }
  return { byTarget, rank, byteLength };
}

function checkShape(layer: LoraLayer, target: RuntimeLoraTarget): void {
  const inFlat = layer.down.values.length / layer.rank;
  const out = layer.up.shape[0];
  if (inFlat !== target.in || out !== target.out) {
    throw invalid(
      `LoRA ${layer.key}: delta [${out}, ${inFlat}] does not fit ${target.target} [${target.out}, ${target.in}]`,
    );
  }
}

/** One row of a batch: a style's factors at a strength, or none (the base model). */
export interface LoraBatchItem {
  factors?: StyleFactors;
  strength: number;
}

/**
 * The factor and scale tensors for a batch, row i using items[i]. Rows without a style get zero
 * factors and scale 0, so they compute the base model exactly.
 */
export function loraFeeds(
  layout: RuntimeLoraLayout,
  items: readonly LoraBatchItem[],
): Record<string, OrtTensor> {
  const ort = loadOrt();
  const batch = items.length;
  const half = layout.dataType === DataType.FLOAT16;
  const type = half ? 'float16' : 'float32';
  const make = (length: number): FactorArray => (half ? new Uint16Array(length) : new Float32Array(length));
  const feeds: Record<string, OrtTensor> = {};
  for (const target of layout.targets) {
    const aSize = target.in * layout.maxRank;
    const bSize = layout.maxRank * target.out;
    const a = make(batch * aSize);
    const b = make(batch * bSize);
    items.forEach((item, row) => {
      const factors = item.factors?.byTarget.get(target.target);
      if (!factors) return;
      a.set(factors.a, row * aSize);
      b.set(factors.b, row * bSize);
    });
    feeds[target.a.name] = new ort.Tensor(type, a, [batch, target.in, layout.maxRank]);
    feeds[target.b.name] = new ort.Tensor(type, b, [batch, layout.maxRank, target.out]);
  }
  const scales = Float32Array.from(items, (item) => (item.factors ? item.strength : 0));
  feeds[layout.scale.name] = new ort.Tensor(type, half ? float32ToHalfBits(scales) : scales, [batch]);
  return feeds;
}
