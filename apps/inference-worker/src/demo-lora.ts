import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { decodeModel, SeededNoise } from '@stylelicense/diffusion';
import { encodeSafetensors, type FloatTensorInput } from '@stylelicense/safetensors';
import type { WorkerLog } from './config';
import { embeddedWorkerConfig } from './env';
import { resolveModelDir } from './model';

// The embedded demo's seeded styles were never trained, yet a newcomer must be able to generate
// with them. This writes each one a LoRA that fits the model this worker actually runs: kohya
// keys for every attention projection (to_q/to_k/to_v/to_out.0 of attn1 and attn2) found in the
// model's own UNet, rank 4, small seeded random deltas. It lives in the worker because only the
// worker knows which model that is (the synthetic `tiny` one unless MODEL_DIR says otherwise).

const RANK = 4;
const ATTENTION_PROJECTION = /^(.*\.attn[12]\.(?:to_q|to_k|to_v|to_out\.0))\.weight$/;
/**
 * Size of a delta relative to a typically initialised weight (std 1/√in): big enough that each
 * style visibly changes the image, small enough that it still looks like the model's output.
 */
const RELATIVE_STRENGTH = 0.6;

/** Makes a demo style's LoRA (safetensors bytes); the same seed gives the same bytes. */
export type DemoLoraMaker = (seed: number) => Uint8Array;

interface Projection {
  key: string;
  inputs: number;
  outputs: number;
}

/** A LoRA maker for the model folder `modelDir` (an Optimum ONNX export, e.g. the synthetic tiny model). */
export async function demoLoraMaker(modelDir: string): Promise<DemoLoraMaker> {
  const unet = decodeModel(new Uint8Array(await readFile(join(modelDir, 'unet', 'model.onnx'))));
  const projections: Projection[] = [];
  for (const tensor of unet.graph.initializers) {
    const match = ATTENTION_PROJECTION.exec(tensor.name);
    if (!match || tensor.dims.length !== 2) continue;
    // Exported Linear weights are stored transposed, [in, out] (the MatMul's right operand).
    projections.push({
      key: `lora_unet_${match[1]!.replaceAll('.', '_')}`,
      inputs: tensor.dims[0]!,
      outputs: tensor.dims[1]!,
    });
  }
  if (projections.length === 0) {
    throw new Error(`the UNet in ${modelDir} has no named attention projections to adapt`);
  }
  return (seed) => {
    const noise = new SeededNoise(seed);
    const tensors: Array<[string, FloatTensorInput]> = [];
    for (const { key, inputs, outputs } of projections) {
      // ΔW = up · down (alpha = rank, so scale 1); each element has variance rank · σ_up² · σ_down².
      const downStd = 1 / Math.sqrt(inputs);
      const upStd = RELATIVE_STRENGTH / Math.sqrt(RANK);
      tensors.push([
        `${key}.lora_down.weight`,
        { dtype: 'F32', shape: [RANK, inputs], values: scaled(noise.gaussian(RANK * inputs), downStd) },
      ]);
      tensors.push([
        `${key}.lora_up.weight`,
        { dtype: 'F32', shape: [outputs, RANK], values: scaled(noise.gaussian(outputs * RANK), upStd) },
      ]);
      tensors.push([`${key}.alpha`, { dtype: 'F32', shape: [], values: [RANK] }]);
    }
    return encodeSafetensors(tensors, {
      ss_network_dim: String(RANK),
      ss_network_alpha: String(RANK),
      stylelicense_demo: 'true',
    });
  };
}

function scaled(values: Float32Array, factor: number): Float32Array {
  for (let i = 0; i < values.length; i++) values[i]! *= factor;
  return values;
}

/** What the embedded API hands over (structurally a subset of its `EmbeddedWorkerContext`). */
export interface DemoLoraContext {
  apiUrl: string;
  webhookSecrets: { inference: string };
  dataDir: string;
  log: WorkerLog;
}

/**
 * The embedded default's demo LoRA maker, for the very model the embedded worker will run:
 * resolved through the same configuration (MODEL_DIR, else the synthetic tiny model under
 * DATA_DIR/models/tiny, built here if it is not there yet).
 */
export async function embeddedDemoLoraMaker(
  context: DemoLoraContext,
): Promise<{ modelDir: string; makeLora: DemoLoraMaker }> {
  const config = embeddedWorkerConfig({
    apiUrl: context.apiUrl,
    webhookSecret: context.webhookSecrets.inference,
    dataDir: context.dataDir,
  });
  const modelDir = await resolveModelDir(config, context.log);
  return { modelDir, makeLora: await demoLoraMaker(modelDir) };
}
