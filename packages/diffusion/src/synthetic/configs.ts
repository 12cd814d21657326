// The JSON files of a diffusers / Optimum ONNX export folder.
import type { PresetConfig, SyntheticPreset } from './presets';
import type { FusedOp, WeightDtype } from './net';

const DIFFUSERS_VERSION = '0.30.0';

export function modelIndex(meta: {
  preset: SyntheticPreset;
  dtype: WeightDtype;
  fused: FusedOp[];
  seed: number;
}): object {
  return {
    _class_name: 'StableDiffusionPipeline',
    _diffusers_version: DIFFUSERS_VERSION,
    feature_extractor: [null, null],
    requires_safety_checker: false,
    safety_checker: [null, null],
    scheduler: ['diffusers', 'PNDMScheduler'],
    text_encoder: ['transformers', 'CLIPTextModel'],
    tokenizer: ['transformers', 'CLIPTokenizer'],
    unet: ['diffusers', 'UNet2DConditionModel'],
    vae: ['diffusers', 'AutoencoderKL'],
    // Not a diffusers key: says these are random weights and how they were made.
    _stylelicense_synthetic: meta,
  };
}

export function schedulerConfig(): object {
  return {
    _class_name: 'PNDMScheduler',
    _diffusers_version: DIFFUSERS_VERSION,
    beta_end: 0.012,
    beta_schedule: 'scaled_linear',
    beta_start: 0.00085,
    clip_sample: false,
    num_train_timesteps: 1000,
    prediction_type: 'epsilon',
    set_alpha_to_one: false,
    skip_prk_steps: true,
    steps_offset: 1,
    timestep_spacing: 'leading',
    trained_betas: null,
  };
}

export function unetConfig(p: PresetConfig): object {
  const u = p.unet;
  const down = u.crossAttention.map((c) => (c ? 'CrossAttnDownBlock2D' : 'DownBlock2D'));
  const up = [...u.crossAttention].reverse().map((c) => (c ? 'CrossAttnUpBlock2D' : 'UpBlock2D'));
  return {
    _class_name: 'UNet2DConditionModel',
    _diffusers_version: DIFFUSERS_VERSION,
    act_fn: 'silu',
    attention_head_dim: u.heads,
    block_out_channels: u.blockOutChannels,
    center_input_sample: false,
    cross_attention_dim: u.crossAttentionDim,
    down_block_types: down,
    downsample_padding: 1,
    flip_sin_to_cos: true,
    freq_shift: 0,
    in_channels: u.inChannels,
    layers_per_block: u.layersPerBlock,
    mid_block_scale_factor: 1,
    norm_eps: 1e-5,
    norm_num_groups: u.groups,
    out_channels: u.outChannels,
    sample_size: p.sampleSize,
    up_block_types: up,
  };
}

export function vaeConfig(p: PresetConfig): object {
  const v = p.vae;
  return {
    _class_name: 'AutoencoderKL',
    _diffusers_version: DIFFUSERS_VERSION,
    act_fn: 'silu',
    block_out_channels: v.blockOutChannels,
    down_block_types: v.blockOutChannels.map(() => 'DownEncoderBlock2D'),
    in_channels: 3,
    latent_channels: v.latentChannels,
    layers_per_block: v.layersPerBlock,
    norm_num_groups: v.groups,
    out_channels: 3,
    sample_size: p.sampleSize * 8,
    scaling_factor: 0.18215,
    up_block_types: v.blockOutChannels.map(() => 'UpDecoderBlock2D'),
  };
}

export function textEncoderConfig(
  p: PresetConfig,
  vocabSize: number,
  eosId: number,
  dtype: WeightDtype,
): object {
  const t = p.textEncoder;
  return {
    architectures: ['CLIPTextModel'],
    model_type: 'clip_text_model',
    hidden_act: 'quick_gelu',
    hidden_size: t.hiddenSize,
    intermediate_size: t.intermediateSize,
    layer_norm_eps: 1e-5,
    max_position_embeddings: t.maxPositions,
    num_attention_heads: t.heads,
    num_hidden_layers: t.layers,
    projection_dim: t.hiddenSize,
    vocab_size: vocabSize,
    bos_token_id: eosId - 1,
    eos_token_id: eosId,
    pad_token_id: 1,
    torch_dtype: dtype === 'fp16' ? 'float16' : 'float32',
  };
}

export const TOKENIZER_CONFIG = {
  add_prefix_space: false,
  bos_token: '<|startoftext|>',
  do_lower_case: true,
  eos_token: '<|endoftext|>',
  errors: 'replace',
  model_max_length: 77,
  pad_token: '<|endoftext|>',
  tokenizer_class: 'CLIPTokenizer',
  unk_token: '<|endoftext|>',
};

export const SPECIAL_TOKENS_MAP = {
  bos_token: '<|startoftext|>',
  eos_token: '<|endoftext|>',
  pad_token: '<|endoftext|>',
  unk_token: '<|endoftext|>',
};
