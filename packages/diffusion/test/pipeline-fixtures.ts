// Shared set-up for pipeline tests: the `tiny` synthetic model and LoRA files for it.
import { cp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { encodeSafetensors } from '@stylelicense/safetensors';
import { buildSyntheticModel } from '../src/synthetic';
import { decodeModel, encodeModel, getInitializerFloats, setInitializerFloats } from '../src/onnx';
import { SeededNoise } from '../src/schedulers';

export function buildTinyModel(dir: string, dtype: 'fp32' | 'fp16' = 'fp32'): string {
  return buildSyntheticModel({ preset: 'tiny', dir, dtype, seed: 7 }).dir;
}

/** A LoRA layer in PyTorch terms: module path, weight layout in the ONNX file, sizes. */
export interface LoraLayerSpec {
  component: 'unet' | 'text_encoder';
  module: string;
  out: number;
  in: number;
  /** 1×1 conv (weights [out, in, 1, 1]) instead of Linear */
  conv?: boolean;
}

/**
 * LoRA targets in the tiny model, found from its initializer names (so preset changes do not break
 * the tests): every Linear of the first transformer block (attn1 and the rectangular cross-attention
 * keys/values of attn2, so a wrong transposition cannot pass), its 1×1 proj_in conv, and one text
 * encoder projection. Linear weights are stored [in, out], convs [out, in, 1, 1].
 */
export async function tinyLoraLayers(modelDir: string): Promise<LoraLayerSpec[]> {
  const layers: LoraLayerSpec[] = [];
  const unet = decodeModel(new Uint8Array(await readFile(join(modelDir, 'unet', 'model.onnx'))));
  const first = unet.graph.initializers.find((t) =>
    /transformer_blocks\.0\.attn1\.to_q\.weight$/.test(t.name),
  );
  if (!first) throw new Error('tiny UNet has no attention block');
  const block = first.name.slice(0, first.name.indexOf('.transformer_blocks.'));
  for (const t of unet.graph.initializers) {
    if (!t.name.startsWith(`${block}.`) || !t.name.endsWith('.weight')) continue;
    const module = t.name.slice(0, -'.weight'.length);
    if (/attn[12]\.(to_q|to_k|to_v|to_out\.0)$/.test(module) && t.dims.length === 2) {
      layers.push({ component: 'unet', module, in: t.dims[0]!, out: t.dims[1]! });
    } else if (module === `${block}.proj_in` && t.dims.length === 4) {
      layers.push({ component: 'unet', module, out: t.dims[0]!, in: t.dims[1]!, conv: true });
    }
  }
  const te = decodeModel(new Uint8Array(await readFile(join(modelDir, 'text_encoder', 'model.onnx'))));
  const q = te.graph.initializers.find(
    (t) => t.name === 'text_model.encoder.layers.0.self_attn.q_proj.weight',
  );
  if (!q) throw new Error('tiny text encoder has no q_proj');
  layers.push({
    component: 'text_encoder',
    module: 'text_model.encoder.layers.0.self_attn.q_proj',
    in: q.dims[0]!,
    out: q.dims[1]!,
  });
  return layers;
}

export const LORA_RANK = 4;
export const LORA_ALPHA = 2;

export interface LoraWeights {
  spec: LoraLayerSpec;
  rank: number;
  down: Float32Array; // [rank, in]
  up: Float32Array; // [out, rank]
}

export function randomLoraWeights(
  seed: number,
  layers: LoraLayerSpec[],
  magnitude = 0.4,
  rank = LORA_RANK,
): LoraWeights[] {
  const noise = new SeededNoise(seed);
  return layers.map((spec) => ({
    spec,
    rank,
    down: noise.gaussian(rank * spec.in).map((v) => v * magnitude),
    up: noise.gaussian(spec.out * rank).map((v) => v * magnitude),
  }));
}

export function kohyaLora(weights: LoraWeights[]): Uint8Array {
  const tensors: Record<string, { dtype: 'F32' | 'F16'; shape: number[]; values: Float32Array | number[] }> =
    {};
  for (const { spec, rank, down, up } of weights) {
    const key = `lora_${spec.component === 'unet' ? 'unet' : 'te'}_${spec.module.replaceAll('.', '_')}`;
    const kernel = spec.conv ? [1, 1] : [];
    tensors[`${key}.lora_down.weight`] = {
      dtype: 'F32',
      shape: [rank, spec.in, ...kernel],
      values: down,
    };
    tensors[`${key}.lora_up.weight`] = { dtype: 'F32', shape: [spec.out, rank, ...kernel], values: up };
    tensors[`${key}.alpha`] = { dtype: 'F32', shape: [], values: [LORA_ALPHA] };
  }
  return encodeSafetensors(tensors);
}

export function peftLora(weights: LoraWeights[]): Uint8Array {
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; values: Float32Array | number[] }> = {};
  for (const { spec, rank, down, up } of weights) {
    const key = `${spec.component}.${spec.module}`;
    const kernel = spec.conv ? [1, 1] : [];
    tensors[`${key}.lora_A.weight`] = { dtype: 'F32', shape: [rank, spec.in, ...kernel], values: down };
    tensors[`${key}.lora_B.weight`] = { dtype: 'F32', shape: [spec.out, rank, ...kernel], values: up };
    tensors[`${key}.alpha`] = { dtype: 'F32', shape: [], values: [LORA_ALPHA] };
  }
  return encodeSafetensors(tensors);
}

/**
 * Writes a copy of the model folder with the LoRA merged by plain arithmetic on the initializers:
 * W[out, in] += strength · α/r · up·down, written into the exported layout ([in, out] for MatMul).
 */
export async function writePremergedModel(
  sourceDir: string,
  targetDir: string,
  weights: LoraWeights[],
  strength: number,
): Promise<void> {
  await cp(sourceDir, targetDir, { recursive: true });
  for (const component of ['unet', 'text_encoder'] as const) {
    const file = join(targetDir, component, 'model.onnx');
    const model = decodeModel(new Uint8Array(await readFile(file)));
    for (const { spec, rank, down, up } of weights.filter((w) => w.spec.component === component)) {
      const name = `${spec.module}.weight`;
      const values = getInitializerFloats(model, name);
      const factor = (strength * LORA_ALPHA) / rank;
      for (let o = 0; o < spec.out; o++) {
        for (let i = 0; i < spec.in; i++) {
          let delta = 0;
          for (let r = 0; r < rank; r++) delta += up[o * rank + r]! * down[r * spec.in + i]!;
          const index = spec.conv ? o * spec.in + i : i * spec.out + o;
          values[index]! += factor * delta;
        }
      }
      setInitializerFloats(model, name, values);
    }
    await writeFile(file, encodeModel(model));
  }
}

export function maxPixelDifference(a: Uint8Array, b: Uint8Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

export function meanPixelDifference(a: Uint8Array, b: Uint8Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}
