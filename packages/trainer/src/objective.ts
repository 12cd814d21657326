// What one training step asks the UNet to predict: the noised latent it sees, the target (the
// added noise ε, or v = √ᾱ·ε − √(1−ᾱ)·x₀ for v-prediction models) and the loss weight.
import type { PredictionType } from '@stylelicense/diffusion';

export interface NoisedExample {
  readonly noisy: Float32Array;
  readonly target: Float32Array;
  readonly weight: number;
}

/**
 * x_t = √ᾱ·x₀ + √(1−ᾱ)·ε. With `minSnrGamma`, the Min-SNR-γ weight (Hang et al. 2023):
 * min(SNR, γ)/SNR for ε-prediction, min(SNR, γ)/(SNR + 1) for v-prediction, SNR = ᾱ/(1−ᾱ).
 */
export function noisedExample(
  x0: Float32Array,
  eps: Float32Array,
  alphaBar: number,
  prediction: PredictionType,
  minSnrGamma: number | null | undefined,
): NoisedExample {
  const a = Math.sqrt(alphaBar);
  const b = Math.sqrt(1 - alphaBar);
  const noisy = new Float32Array(x0.length);
  const target = new Float32Array(x0.length);
  for (let i = 0; i < x0.length; i++) {
    noisy[i] = a * x0[i]! + b * eps[i]!;
    target[i] = prediction === 'v_prediction' ? a * eps[i]! - b * x0[i]! : eps[i]!;
  }
  const snr = alphaBar / (1 - alphaBar);
  const weight = minSnrGamma
    ? Math.min(snr, minSnrGamma) / (prediction === 'v_prediction' ? snr + 1 : snr)
    : 1;
  return { noisy, target, weight };
}
