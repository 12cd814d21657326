import { stat } from 'node:fs/promises';
import { JobFailure } from '@stylelicense/contracts';
import {
  isSafetensorsError,
  readSafetensorsFile,
  tensorToFloat32,
  type SafetensorsFile,
  type TensorInfo,
} from '@stylelicense/safetensors';

export interface LoraExpectation {
  /** The rank the trainer was asked for (lora_down's first dimension). */
  readonly rank: number;
  /** When true, text encoder modules (`lora_te*_`) must be present too. */
  readonly trainTextEncoder: boolean;
}

export interface LoraArtifactSummary {
  readonly byteLength: number;
  readonly rank: number;
  readonly unetModules: number;
  readonly textEncoderModules: number;
  readonly tensorCount: number;
  readonly metadata: Readonly<Record<string, string>> | null;
}

// kohya's networks.lora naming: <prefix>_<module path with dots as underscores>.<part>
const LORA_KEY = /^(lora_unet|lora_te\d*)_([A-Za-z0-9_]+)\.(lora_down\.weight|lora_up\.weight|alpha)$/;
const FLOAT_DTYPES = new Set(['F16', 'BF16', 'F32']);

const invalid = (reason: string) =>
  new JobFailure('ARTIFACT_INVALID', `trained adapter is invalid: ${reason}`);

interface LoraModule {
  down?: TensorInfo;
  up?: TensorInfo;
  alpha?: TensorInfo;
}

/**
 * Checks that a trainer's output is a usable kohya LoRA: a well-formed safetensors file whose
 * tensors are all LoRA parts (down/up/alpha per module), UNet modules present (and text encoder
 * modules when trained), every module at the expected rank, every value finite.
 * Throws a permanent ARTIFACT_INVALID JobFailure naming the first problem.
 */
export async function validateLoraArtifact(
  path: string,
  expected: LoraExpectation,
): Promise<LoraArtifactSummary> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw invalid(`no adapter file was written at ${path}`);
  if (info.size === 0) throw invalid('the adapter file is empty');

  let file: SafetensorsFile;
  try {
    file = await readSafetensorsFile(path);
  } catch (error) {
    if (isSafetensorsError(error)) throw invalid(error.message);
    throw error;
  }
  if (file.tensors.size === 0) throw invalid('the adapter holds no tensors');

  const modules = new Map<string, LoraModule>();
  for (const tensor of file.tensors.values()) {
    const match = LORA_KEY.exec(tensor.name);
    if (!match) throw invalid(`unexpected tensor "${tensor.name}" (not a kohya LoRA key)`);
    if (!FLOAT_DTYPES.has(tensor.dtype)) throw invalid(`tensor "${tensor.name}" has dtype ${tensor.dtype}`);
    const moduleName = `${match[1]}_${match[2]}`;
    const module = modules.get(moduleName) ?? {};
    if (match[3] === 'lora_down.weight') module.down = tensor;
    else if (match[3] === 'lora_up.weight') module.up = tensor;
    else module.alpha = tensor;
    modules.set(moduleName, module);
  }

  let unetModules = 0;
  let textEncoderModules = 0;
  for (const [name, module] of modules) {
    if (!module.down || !module.up || !module.alpha) {
      const missing = [!module.down && 'lora_down', !module.up && 'lora_up', !module.alpha && 'alpha'].filter(
        Boolean,
      );
      throw invalid(`module ${name} lacks ${missing.join(', ')}`);
    }
    const downRank = module.down.shape[0];
    const upRank = module.up.shape[1];
    if (module.down.shape.length < 2 || module.up.shape.length < 2)
      throw invalid(`module ${name} has malformed weights`);
    if (downRank !== expected.rank || upRank !== expected.rank) {
      throw invalid(`module ${name} has rank ${downRank}/${upRank}, expected ${expected.rank}`);
    }
    if (module.alpha.elementCount !== 1) throw invalid(`module ${name} alpha is not a scalar`);
    if (name.startsWith('lora_unet_')) unetModules++;
    else textEncoderModules++;
  }
  if (unetModules === 0) throw invalid('no UNet modules (lora_unet_*)');
  if (expected.trainTextEncoder && textEncoderModules === 0)
    throw invalid('no text encoder modules (lora_te_*)');

  for (const name of file.tensors.keys()) {
    const values = tensorToFloat32(file, name);
    for (let i = 0; i < values.length; i++) {
      if (!Number.isFinite(values[i]))
        throw invalid(`tensor "${name}" holds a non-finite value (${values[i]}) at ${i}`);
    }
  }
  for (const [name, module] of modules) {
    const alpha = tensorToFloat32(file, (module.alpha as TensorInfo).name)[0] as number;
    if (!(alpha > 0)) throw invalid(`module ${name} has alpha ${alpha}`);
  }

  return {
    byteLength: info.size,
    rank: expected.rank,
    unetModules,
    textEncoderModules,
    tensorCount: file.tensors.size,
    metadata: file.metadata,
  };
}
