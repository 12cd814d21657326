import type { SeededNoise } from './noise';
import {
  karrasSigmas,
  sigmaAtTimestep,
  spacedTimesteps,
  timestepForSigma,
  trainingSigmas,
  type NoiseScheduleConfig,
} from './noise-schedule';
import type { Scheduler, SchedulerName } from './scheduler';

/**
 * Samplers in the k-diffusion form x = x₀ + σ·ε (the latent is scaled by 1/√(σ²+1) for the
 * UNet, which was trained on variance-preserving inputs). Timesteps and sigmas follow diffusers'
 * Euler/DPM schedulers; the last sigma is 0, so the final step returns the denoised latent.
 */
abstract class SigmaSampler implements Scheduler {
  abstract readonly name: SchedulerName;
  readonly timesteps: Float64Array;
  /** steps + 1 values, the last one 0. */
  readonly sigmas: Float64Array;
  readonly initNoiseSigma: number;

  constructor(
    protected readonly config: NoiseScheduleConfig,
    steps: number,
    karras: boolean,
  ) {
    const table = trainingSigmas(config);
    let timesteps: Float64Array = spacedTimesteps(config, steps);
    let sigmas: Float64Array = timesteps.map((t) => sigmaAtTimestep(table, t));
    if (karras) {
      sigmas = karrasSigmas(sigmas[0]!, sigmas[sigmas.length - 1]!, steps);
      timesteps = sigmas.map((s) => timestepForSigma(table, s));
    }
    this.timesteps = timesteps;
    this.sigmas = new Float64Array(steps + 1);
    this.sigmas.set(sigmas);
    const maxSigma = sigmas[0]!;
    // diffusers: "linspace"/"trailing" start at σ_max, "leading" at √(σ_max² + 1).
    this.initNoiseSigma = config.timestepSpacing === 'leading' ? Math.sqrt(maxSigma ** 2 + 1) : maxSigma;
  }

  modelInputScale(stepIndex: number): number {
    return 1 / Math.sqrt(this.sigmas[stepIndex]! ** 2 + 1);
  }

  /** The model's estimate of the clean latent x₀. */
  protected denoised(modelOutput: Float32Array, stepIndex: number, sample: Float32Array): Float32Array {
    const sigma = this.sigmas[stepIndex]!;
    const out = new Float32Array(sample.length);
    if (this.config.predictionType === 'v_prediction') {
      const a = -sigma / Math.sqrt(sigma ** 2 + 1);
      const b = 1 / (sigma ** 2 + 1);
      for (let i = 0; i < out.length; i++) out[i] = modelOutput[i]! * a + sample[i]! * b;
    } else {
      for (let i = 0; i < out.length; i++) out[i] = sample[i]! - sigma * modelOutput[i]!;
    }
    return out;
  }

  abstract step(
    modelOutput: Float32Array,
    stepIndex: number,
    sample: Float32Array,
    noise: SeededNoise,
  ): Float32Array;
}

/** Euler ancestral: an Euler step down to σ_down, then fresh noise of size σ_up. */
export class EulerAncestralScheduler extends SigmaSampler {
  readonly name = 'euler-ancestral' as const;

  constructor(config: NoiseScheduleConfig, steps: number) {
    super(config, steps, false);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise: SeededNoise): Float32Array {
    const sigma = this.sigmas[stepIndex]!;
    const sigmaTo = this.sigmas[stepIndex + 1]!;
    const sigmaUp = Math.sqrt((sigmaTo ** 2 * (sigma ** 2 - sigmaTo ** 2)) / sigma ** 2);
    const sigmaDown = Math.sqrt(sigmaTo ** 2 - sigmaUp ** 2);
    const x0 = this.denoised(modelOutput, stepIndex, sample);
    const ratio = sigmaDown / sigma;
    const out = new Float32Array(sample.length);
    for (let i = 0; i < out.length; i++) out[i] = x0[i]! + (sample[i]! - x0[i]!) * ratio;
    if (sigmaUp > 0) {
      for (let i = 0; i < out.length; i++) out[i] = out[i]! + noise.nextGaussian() * sigmaUp;
    }
    return out;
  }
}

/**
 * DPM-Solver++ (2M), the multistep second-order data-prediction solver (Lu et al. 2022) in
 * k-diffusion's form with λ = −log σ; first order on the first and the final (σ → 0) step.
 */
export class DpmSolverMultistepScheduler extends SigmaSampler {
  readonly name: 'dpmpp-2m' | 'dpmpp-2m-karras';
  private previousDenoised: Float32Array | undefined;

  constructor(config: NoiseScheduleConfig, steps: number, karras: boolean) {
    super(config, steps, karras);
    this.name = karras ? 'dpmpp-2m-karras' : 'dpmpp-2m';
  }

  step(
    modelOutput: Float32Array,
    stepIndex: number,
    sample: Float32Array,
    _noise?: SeededNoise,
  ): Float32Array {
    const sigma = this.sigmas[stepIndex]!;
    const sigmaNext = this.sigmas[stepIndex + 1]!;
    const denoised = this.denoised(modelOutput, stepIndex, sample);
    const out = new Float32Array(sample.length);
    if (sigmaNext === 0) {
      out.set(denoised);
    } else {
      const h = Math.log(sigma) - Math.log(sigmaNext);
      const ratio = sigmaNext / sigma;
      const weight = -Math.expm1(-h);
      let target = denoised;
      const previous = this.previousDenoised;
      if (previous && stepIndex > 0) {
        const hLast = Math.log(this.sigmas[stepIndex - 1]!) - Math.log(sigma);
        const r = hLast / h;
        const a = 1 + 1 / (2 * r);
        const b = 1 / (2 * r);
        target = new Float32Array(sample.length);
        for (let i = 0; i < out.length; i++) target[i] = a * denoised[i]! - b * previous[i]!;
      }
      for (let i = 0; i < out.length; i++) out[i] = ratio * sample[i]! + weight * target[i]!;
    }
    this.previousDenoised = denoised;
    return out;
  }
}
