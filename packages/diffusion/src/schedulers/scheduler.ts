import type { SeededNoise } from './noise';

/**
 * One denoising schedule for a fixed number of steps, in diffusers' shape: the pipeline
 * multiplies the initial noise by `initNoiseSigma`, then per step feeds the UNet the sample
 * times `modelInputScale(i)` at `timesteps[i]` and hands its output to `step`.
 */
export interface Scheduler {
  readonly name: SchedulerName;
  /** Model timestep for each step, descending. */
  readonly timesteps: Float64Array;
  readonly initNoiseSigma: number;
  /** What the sample is multiplied by before the UNet sees it (diffusers' `scale_model_input`). */
  modelInputScale(stepIndex: number): number;
  /**
   * The sample for the next step (or the final latent after the last step), in the scheduler's own
   * buffer: the next call overwrites it, and may be given it back as `sample`.
   */
  step(modelOutput: Float32Array, stepIndex: number, sample: Float32Array, noise: SeededNoise): Float32Array;
}

export type SchedulerName = 'euler-ancestral' | 'dpmpp-2m' | 'dpmpp-2m-karras' | 'lcm';
export const SCHEDULER_NAMES: readonly SchedulerName[] = [
  'euler-ancestral',
  'dpmpp-2m',
  'dpmpp-2m-karras',
  'lcm',
];

/**
 * A step's output buffer, reused while the length stays the same. Passing it back as the next
 * `sample` is safe because every step reads element i of its inputs before writing element i.
 */
export function stepBuffer(buffer: Float32Array | undefined, length: number): Float32Array {
  return buffer?.length === length ? buffer : new Float32Array(length);
}
