// Model sizes. `tiny` runs in seconds on a CPU (tests, embedded default);
// `sd15` has Stable Diffusion 1.5's real dimensions (GPU benchmarks).
import type { TextEncoderConfig } from './text-encoder';
import type { UNetConfig } from './unet';
import type { VaeDecoderConfig } from './vae-decoder';

export type SyntheticPreset = 'tiny' | 'sd15';

export interface PresetConfig {
  unet: UNetConfig;
  /** vocabSize null = the generated tokenizer's size. */
  textEncoder: Omit<TextEncoderConfig, 'vocabSize'> & { vocabSize: number | null };
  vae: VaeDecoderConfig;
  /** Latent size the model is nominally trained at (config.json sample_size). */
  sampleSize: number;
}

export const PRESETS: Record<SyntheticPreset, PresetConfig> = {
  tiny: {
    unet: {
      blockOutChannels: [32, 64],
      layersPerBlock: 1,
      // Attention only at the lower resolution, like diffusers' own tiny test UNet: keeps CPU runs in seconds.
      crossAttention: [false, true],
      heads: 2,
      crossAttentionDim: 32,
      groups: 8,
      inChannels: 4,
      outChannels: 4,
    },
    textEncoder: {
      vocabSize: null,
      hiddenSize: 32,
      layers: 2,
      heads: 2,
      intermediateSize: 64,
      maxPositions: 77,
    },
    // Four decoder stages (three 2× upsamplers) give the real 8× latent-to-pixel factor.
    vae: { blockOutChannels: [16, 16, 32, 32], layersPerBlock: 1, latentChannels: 4, groups: 8 },
    sampleSize: 64,
  },
  sd15: {
    unet: {
      blockOutChannels: [320, 640, 1280, 1280],
      layersPerBlock: 2,
      crossAttention: [true, true, true, false],
      heads: 8,
      crossAttentionDim: 768,
      groups: 32,
      inChannels: 4,
      outChannels: 4,
    },
    textEncoder: {
      vocabSize: 49408,
      hiddenSize: 768,
      layers: 12,
      heads: 12,
      intermediateSize: 3072,
      maxPositions: 77,
    },
    vae: { blockOutChannels: [128, 256, 512, 512], layersPerBlock: 2, latentChannels: 4, groups: 32 },
    sampleSize: 64,
  },
};
