// Writes a complete Stable Diffusion model folder in the Hugging Face Optimum
// ONNX layout, with random (seeded) weights. The folder appears atomically:
// everything is written to a temporary sibling and renamed at the end.
import { existsSync, mkdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { type OnnxModel, PROTOBUF_LIMIT, writeModelFile, writeModelWithExternalData } from '../onnx';
import { DiffusionError } from '../pipeline/errors';
import {
  modelIndex,
  schedulerConfig,
  SPECIAL_TOKENS_MAP,
  textEncoderConfig,
  TOKENIZER_CONFIG,
  unetConfig,
  vaeConfig,
} from './configs';
import { FUSED_OPS, type FusedOp, type NetOptions, type WeightDtype } from './net';
import { PRESETS, type SyntheticPreset } from './presets';
import { buildTextEncoder } from './text-encoder';
import { buildTokenizerFiles } from './tokenizer-files';
import { buildUNet } from './unet';
import { buildVaeDecoder } from './vae-decoder';
import { buildVaeEncoder } from './vae-encoder';

export interface SyntheticModelOptions {
  preset: SyntheticPreset;
  /** Folder to create (must not exist unless `overwrite`). */
  dir: string;
  dtype?: WeightDtype;
  /**
   * Emit ONNX Runtime contrib ops in the UNet and VAE decoder: `true` for every group (the form the
   * CUDA execution provider runs), or the groups to fuse.
   */
  fused?: boolean | readonly FusedOp[];
  seed?: number;
  overwrite?: boolean;
  /** Weights above this many bytes per sub-model go to `model.onnx_data` (default 1.9 GiB; protobuf caps a file at 2 GiB). */
  externalDataAbove?: number;
  /** Called after each file is written (relative path, bytes). */
  onFile?: (path: string, bytes: number) => void;
}

export interface SyntheticModelResult {
  dir: string;
  preset: SyntheticPreset;
  dtype: WeightDtype;
  /** The fused contrib op groups; empty for the plain form. */
  fused: FusedOp[];
  seed: number;
  files: { path: string; bytes: number }[];
}

const EXTERNAL_DATA_THRESHOLD = 1.9 * 1024 ** 3;

function weightBytes(model: OnnxModel): number {
  return model.graph.initializers.reduce((n, t) => n + (t.rawData?.byteLength ?? 0), 0);
}

function fusedGroups(fused: boolean | readonly FusedOp[]): FusedOp[] {
  if (typeof fused === 'boolean') return fused ? [...FUSED_OPS] : [];
  const unknown = fused.filter((group) => !(FUSED_OPS as readonly string[]).includes(group));
  if (unknown.length > 0) {
    throw new DiffusionError(
      'INVALID_INPUT',
      `Unknown fused op group(s) ${unknown.join(', ')} (${FUSED_OPS.join(', ')})`,
    );
  }
  if (fused.includes('packedQkv') && !fused.includes('attention')) {
    throw new DiffusionError('INVALID_INPUT', 'the packedQkv fused op group needs the attention group');
  }
  return FUSED_OPS.filter((group) => fused.includes(group));
}

export function buildSyntheticModel(options: SyntheticModelOptions): SyntheticModelResult {
  const preset = PRESETS[options.preset];
  if (!preset)
    throw new DiffusionError(
      'INVALID_INPUT',
      `Unknown synthetic model preset "${String(options.preset)}" (tiny or sd15)`,
    );
  const dtype = options.dtype ?? 'fp32';
  if (dtype !== 'fp32' && dtype !== 'fp16')
    throw new DiffusionError('INVALID_INPUT', `dtype must be fp32 or fp16, got "${String(dtype)}"`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) {
    throw new DiffusionError('INVALID_INPUT', `seed must be an integer in [0, 2^32), got ${seed}`);
  }
  const fused = fusedGroups(options.fused ?? false);
  const dir = resolve(options.dir);
  if (existsSync(dir) && !options.overwrite) {
    throw new DiffusionError(
      'INVALID_INPUT',
      `Model folder already exists: ${dir} (pass overwrite to replace it)`,
    );
  }

  const tmp = join(dirname(dir), `.${basename(dir)}.partial-${process.pid}-${Date.now()}`);
  const files: { path: string; bytes: number }[] = [];
  const record = (path: string) => {
    const bytes = statSync(join(tmp, path)).size;
    files.push({ path, bytes });
    options.onFile?.(path, bytes);
  };
  const writeJson = (path: string, value: unknown) => {
    mkdirSync(dirname(join(tmp, path)), { recursive: true });
    writeFileSync(join(tmp, path), `${JSON.stringify(value, null, 2)}\n`);
    record(path);
  };
  const writeOnnx = (folder: string, model: OnnxModel) => {
    mkdirSync(join(tmp, folder), { recursive: true });
    const threshold = Math.min(options.externalDataAbove ?? EXTERNAL_DATA_THRESHOLD, PROTOBUF_LIMIT);
    if (weightBytes(model) > threshold) {
      // Same file names as Optimum's exporter for large models.
      writeModelWithExternalData(model, join(tmp, folder), 'model.onnx', { dataFile: 'model.onnx_data' });
      record(`${folder}/model.onnx`);
      record(`${folder}/model.onnx_data`);
    } else {
      writeModelFile(model, join(tmp, folder, 'model.onnx'));
      record(`${folder}/model.onnx`);
    }
  };

  mkdirSync(tmp, { recursive: true });
  try {
    const net: NetOptions = { dtype, seed, fused };
    const tokenizer = buildTokenizerFiles();
    const vocabSize = preset.textEncoder.vocabSize ?? tokenizer.vocabSize;
    const eosId = tokenizer.vocab['<|endoftext|>']!;

    writeJson('model_index.json', modelIndex({ preset: options.preset, dtype, fused, seed }));
    writeJson('scheduler/scheduler_config.json', schedulerConfig());
    writeJson('tokenizer/vocab.json', tokenizer.vocab);
    writeFileSync(join(tmp, 'tokenizer/merges.txt'), tokenizer.merges);
    record('tokenizer/merges.txt');
    writeJson('tokenizer/tokenizer_config.json', TOKENIZER_CONFIG);
    writeJson('tokenizer/special_tokens_map.json', SPECIAL_TOKENS_MAP);

    writeJson('text_encoder/config.json', textEncoderConfig(preset, vocabSize, eosId, dtype));
    writeOnnx('text_encoder', buildTextEncoder({ ...preset.textEncoder, vocabSize }, net));
    writeJson('unet/config.json', unetConfig(preset));
    writeOnnx('unet', buildUNet(preset.unet, net));
    writeJson('vae_decoder/config.json', vaeConfig(preset));
    writeOnnx('vae_decoder', buildVaeDecoder(preset.vae, net));
    // The encoder exists for training (latents of the artworks), which runs the plain graph on any provider.
    writeJson('vae_encoder/config.json', vaeConfig(preset));
    writeOnnx('vae_encoder', buildVaeEncoder(preset.vae, { ...net, fused: [] }));

    if (options.overwrite && existsSync(dir)) rmSync(dir, { recursive: true, force: true });
    try {
      renameSync(tmp, dir);
    } catch (error) {
      // Another builder finished first (e.g. two processes starting the embedded default at once).
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST') {
        throw new DiffusionError(
          'INVALID_INPUT',
          `Model folder already exists: ${dir} (written concurrently)`,
          { cause: error },
        );
      }
      throw error;
    }
  } catch (error) {
    rmSync(tmp, { recursive: true, force: true });
    throw error;
  }
  return { dir, preset: options.preset, dtype, fused, seed, files };
}
