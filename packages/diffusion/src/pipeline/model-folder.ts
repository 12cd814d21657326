import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { parseScheduleConfig, type NoiseScheduleConfig } from '../schedulers';
import { DiffusionError } from './errors';

/** A Stable Diffusion model folder in Hugging Face Optimum's ONNX layout. */
export interface ModelFolder {
  dir: string;
  textEncoder: string;
  unet: string;
  vaeDecoder: string;
  tokenizerDir: string;
  schedule: NoiseScheduleConfig;
  /** Latents are divided by this before decoding (SD 1.x/2.x: 0.18215). */
  vaeScalingFactor: number;
}

/**
 * Reads and checks a model folder: model_index.json, the three ONNX components, the tokenizer
 * and the scheduler config. Missing pieces are MODEL_NOT_FOUND, unreadable ones MODEL_INVALID.
 */
export async function openModelFolder(dir: string): Promise<ModelFolder> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch (error) {
    throw new DiffusionError('MODEL_NOT_FOUND', `model folder not found: ${dir}`, { cause: error });
  }
  // model_index.json marks the folder as a pipeline export; its contents are not needed here.
  await readJson(join(dir, 'model_index.json'), true);
  const folder: ModelFolder = {
    dir,
    textEncoder: join(dir, 'text_encoder', 'model.onnx'),
    unet: join(dir, 'unet', 'model.onnx'),
    vaeDecoder: join(dir, 'vae_decoder', 'model.onnx'),
    tokenizerDir: join(dir, 'tokenizer'),
    schedule: parseScheduleConfig(await readJson(join(dir, 'scheduler', 'scheduler_config.json'), true)),
    vaeScalingFactor: 0.18215,
  };
  for (const file of [folder.textEncoder, folder.unet, folder.vaeDecoder]) {
    try {
      await stat(file);
    } catch (error) {
      throw new DiffusionError('MODEL_NOT_FOUND', `model file missing: ${file}`, { cause: error });
    }
  }
  const vaeConfig = await readJson(join(dir, 'vae_decoder', 'config.json'), false);
  const scaling = vaeConfig?.scaling_factor;
  if (typeof scaling === 'number' && scaling > 0) folder.vaeScalingFactor = scaling;
  return folder;
}

async function readJson(path: string, required: boolean): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (!required) return undefined;
    throw new DiffusionError('MODEL_NOT_FOUND', `model file missing: ${path}`, { cause: error });
  }
  try {
    const parsed: unknown = JSON.parse(text);
    if (!parsed || typeof parsed !== 'object') throw new Error('not an object');
    return parsed as Record<string, unknown>;
  } catch (error) {
    throw new DiffusionError('MODEL_INVALID', `${path} is not a JSON object`, { cause: error });
  }
}
