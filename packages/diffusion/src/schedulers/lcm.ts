import type { SeededNoise } from './noise';
import { alphasCumprod, type NoiseScheduleConfig } from './noise-schedule';
import { stepBuffer, type Scheduler } from './scheduler';

/**
 * Latent Consistency Model sampling (diffusers' LCMScheduler) — also the one-step path for
 * turbo models: with one step the sample is the consistency function's x₀ estimate at t = 999.
 * Works on variance-preserving latents, so inputs are not rescaled and initial noise is unit.
 */
export class LcmScheduler implements Scheduler {
  readonly name = 'lcm' as const;
  readonly timesteps: Float64Array;
  readonly initNoiseSigma = 1;
  private readonly alphas: Float64Array;
  private next: Float32Array | undefined;

  constructor(
    private readonly config: NoiseScheduleConfig,
    steps: number,
  ) {
    this.alphas = alphasCumprod(config);
    const k = Math.floor(config.numTrainTimesteps / config.originalInferenceSteps);
    const origin = Array.from({ length: config.originalInferenceSteps }, (_, i) => (i + 1) * k - 1).reverse();
    const count = Math.min(steps, origin.length);
    // Evenly spaced picks from the teacher's schedule (diffusers ≥ 0.25 spacing).
    this.timesteps = Float64Array.from(
      { length: count },
      (_, i) => origin[Math.floor((i * origin.length) / count)]!,
    );
  }

  modelInputScale(): number {
    return 1;
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise: SeededNoise): Float32Array {
    const t = this.timesteps[stepIndex]!;
    const isLast = stepIndex === this.timesteps.length - 1;
    const alpha = this.alphas[t]!;
    const beta = 1 - alpha;
    const scaled = t * this.config.timestepScaling;
    const sigmaData = 0.5;
    const cSkip = sigmaData ** 2 / (scaled ** 2 + sigmaData ** 2);
    const cOut = scaled / Math.sqrt(scaled ** 2 + sigmaData ** 2);
    const sqrtAlpha = Math.sqrt(alpha);
    const sqrtBeta = Math.sqrt(beta);
    // x₀ = (p·x − √β·m) / q: v-prediction √ᾱ·x − √β·v (p = √ᾱ, q = 1), ε-prediction (x − √β·ε)/√ᾱ.
    const vPrediction = this.config.predictionType === 'v_prediction';
    const p = vPrediction ? sqrtAlpha : 1;
    const q = vPrediction ? 1 : sqrtAlpha;
    // Before the last step the denoised sample is noised again to the next timestep's level.
    const alphaPrev = isLast ? 1 : this.alphas[this.timesteps[stepIndex + 1]!]!;
    const keep = Math.sqrt(alphaPrev);
    const noiseScale = Math.sqrt(1 - alphaPrev);
    const out = (this.next = stepBuffer(this.next, sample.length));
    for (let i = 0; i < out.length; i++) {
      const x = sample[i]!;
      const x0 = (p * x - sqrtBeta * modelOutput[i]!) / q;
      const denoised = cOut * x0 + cSkip * x;
      out[i] = isLast ? denoised : keep * denoised + noiseScale * noise.nextGaussian();
    }
    return out;
  }
}
