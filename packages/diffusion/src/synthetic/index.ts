export { buildSyntheticModel, type SyntheticModelOptions, type SyntheticModelResult } from './build';
export { PRESETS, type PresetConfig, type SyntheticPreset } from './presets';
export { buildUNet, type UNetConfig } from './unet';
export { buildTextEncoder, type TextEncoderConfig } from './text-encoder';
export { buildVaeDecoder, type VaeDecoderConfig } from './vae-decoder';
export { buildVaeEncoder } from './vae-encoder';
export { buildTokenizerFiles, type TokenizerFiles } from './tokenizer-files';

export { ensureTinyModel } from './default-model';
export { FUSED_OPS, type FusedOp, type NetOptions, type WeightDtype } from './net';
export { maxAbsDifference, psnr } from './compare';
