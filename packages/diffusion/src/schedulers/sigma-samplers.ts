import type { SeededNoise } from './noise';
import {
  karrasSigmas,
  sigmaAtTimestep,
  spacedTimesteps,
  timestepForSigma,
  trainingSigmas,
  type NoiseScheduleConfig,
} from './noise-schedule';
import { stepBuffer, type Scheduler, type SchedulerName } from './scheduler';

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

  /**
   * The model's estimate of the clean latent as x₀ = sample·weight.sample + output·weight.model
   * (ε-prediction: x − σ·ε; v-prediction: x/(σ²+1) − v·σ/√(σ²+1)).
   */
  protected denoisedWeights(stepIndex: number): { sample: number; model: number } {
    const sigma = this.sigmas[stepIndex]!;
    if (this.config.predictionType === 'v_prediction') {
      return { sample: 1 / (sigma ** 2 + 1), model: -sigma / Math.sqrt(sigma ** 2 + 1) };
    }
    return { sample: 1, model: -sigma };
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
  private next: Float32Array | undefined;

  constructor(config: NoiseScheduleConfig, steps: number) {
    super(config, steps, false);
  }

  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise: SeededNoise): Float32Array {
    const sigma = this.sigmas[stepIndex]!;
    const sigmaTo = this.sigmas[stepIndex + 1]!;
    const sigmaUp = Math.sqrt((sigmaTo ** 2 * (sigma ** 2 - sigmaTo ** 2)) / sigma ** 2);
    const sigmaDown = Math.sqrt(sigmaTo ** 2 - sigmaUp ** 2);
    const ratio = sigmaDown / sigma;
    const x0Weights = this.denoisedWeights(stepIndex);
    const out = (this.next = stepBuffer(this.next, sample.length));
    for (let i = 0; i < out.length; i++) {
      const x = sample[i]!;
      const x0 = x0Weights.sample * x + x0Weights.model * modelOutput[i]!;
      const euler = x0 + (x - x0) * ratio;
      out[i] = sigmaUp > 0 ? euler + noise.nextGaussian() * sigmaUp : euler;
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
  private next: Float32Array | undefined;
  /** This step's x₀ estimate and the previous step's: two buffers, swapped after each step. */
  private denoised: Float32Array | undefined;
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
    const n = sample.length;
    const sigma = this.sigmas[stepIndex]!;
    const sigmaNext = this.sigmas[stepIndex + 1]!;
    const x0Weights = this.denoisedWeights(stepIndex);
    const out = (this.next = stepBuffer(this.next, n));
    const denoised = (this.denoised = stepBuffer(this.denoised, n));
    const previous = stepIndex > 0 && this.previousDenoised?.length === n ? this.previousDenoised : undefined;
    // next = ratio·x + weight·(a·x₀ − b·x₀_previous), first order (a = 1, b = 0) on the first step
    // and on the final one, where σ_next = 0 gives ratio 0 and weight 1: it lands on x₀.
    let ratio = 0;
    let weight = 1;
    let a = 1;
    let b = 0;
    if (sigmaNext !== 0) {
      const h = Math.log(sigma) - Math.log(sigmaNext);
      ratio = sigmaNext / sigma;
      weight = -Math.expm1(-h);
      if (previous) {
        const r = (Math.log(this.sigmas[stepIndex - 1]!) - Math.log(sigma)) / h;
        a = 1 + 1 / (2 * r);
        b = 1 / (2 * r);
      }
    }
    const before = previous ?? denoised; // only ever multiplied by b = 0 when there is none
    for (let i = 0; i < n; i++) {
      const x = sample[i]!;
      const x0 = x0Weights.sample * x + x0Weights.model * modelOutput[i]!;
      denoised[i] = x0;
      out[i] = ratio * x + weight * (a * x0 - b * before[i]!);
    }
    // This step's x₀ becomes the previous one; the older buffer is overwritten next step.
    this.denoised = this.previousDenoised;
    this.previousDenoised = denoised;
    return out;
  }
}
