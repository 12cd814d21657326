import { float32ToHalfBits } from '../onnx';
import { DiffusionError } from './errors';
import type { InferenceSession, OrtTensor } from './ort';
import {
  floatTensor,
  guidedPrediction,
  readFloatsInto,
  runSession,
  timestepTensor,
  type InputSpec,
} from './tensors';

/** How the UNet is asked for a step's noise prediction, with the text embeddings already in its dtype. */
export type UNetGuidance =
  | { kind: 'none'; context: OrtTensor }
  /** [uncond, cond] as one batch-2 run */
  | { kind: 'batched'; context: OrtTensor; scale: number }
  /** exports with a fixed batch of 1: one run per half */
  | { kind: 'separate'; uncond: OrtTensor; cond: OrtTensor; scale: number };

export interface UNetInputs {
  sample: InputSpec;
  timestep: InputSpec;
  context: InputSpec;
}

/**
 * The UNet's noise prediction for each denoising step without allocating per step: the scaled latent
 * is written in the model's dtype into one sample tensor (into both halves of the batch when guiding),
 * timestep tensors are made once per step value, and the output is read once — guided and widened in
 * one pass — into one Float32Array, which each call overwrites. Reusing the sample tensor is safe:
 * ONNX Runtime's run executes synchronously and is done with its inputs by the time it resolves.
 */
export class UNetStep {
  private readonly latentSize: number;
  private readonly batch: number;
  private readonly sample: OrtTensor;
  /** The scaled latent in float32: the sample itself for fp32 models, rounded to half from here for fp16. */
  private readonly scaled: Float32Array;
  private readonly halfTarget: Uint16Array | undefined;
  private readonly timesteps: OrtTensor[];
  private readonly prediction: Float32Array;

  constructor(
    private readonly session: InferenceSession,
    private readonly inputs: UNetInputs,
    latentDims: readonly [number, number, number],
    timesteps: Float64Array,
    private readonly guidance: UNetGuidance,
  ) {
    this.latentSize = latentDims[0] * latentDims[1] * latentDims[2];
    this.batch = guidance.kind === 'batched' ? 2 : 1;
    this.sample = floatTensor(new Float32Array(this.batch * this.latentSize), inputs.sample, [
      this.batch,
      ...latentDims,
    ]);
    if (this.sample.type === 'float16') {
      this.scaled = new Float32Array(this.latentSize);
      this.halfTarget = (this.sample.data as Uint16Array).subarray(0, this.latentSize);
    } else {
      this.scaled = (this.sample.data as Float32Array).subarray(0, this.latentSize);
    }
    const count = typeof inputs.timestep.shape[0] === 'number' ? inputs.timestep.shape[0] : 1;
    this.timesteps = Array.from(timesteps, (t) => timestepTensor(t, inputs.timestep, count));
    this.prediction = new Float32Array(this.latentSize);
  }

  /** ε for `latents` (scaled by `inputScale` for the model) at the scheduler's step `stepIndex`. */
  async predict(latents: Float32Array, inputScale: number, stepIndex: number): Promise<Float32Array> {
    const n = this.latentSize;
    const scaled = this.scaled;
    for (let i = 0; i < n; i++) scaled[i] = latents[i]! * inputScale;
    if (this.halfTarget) float32ToHalfBits(scaled, this.halfTarget);
    if (this.batch === 2) (this.sample.data as Float32Array | Uint16Array).copyWithin(n, 0, n);
    const timestep = this.timesteps[stepIndex]!;
    const guidance = this.guidance;
    switch (guidance.kind) {
      case 'none':
        readFloatsInto(this.prediction, await this.run(timestep, guidance.context), 'unet');
        break;
      case 'batched': {
        const out = await this.run(timestep, guidance.context);
        guidedPrediction(this.prediction, out, 0, out, n, guidance.scale, 'unet');
        break;
      }
      case 'separate': {
        const uncond = await this.run(timestep, guidance.uncond);
        const cond = await this.run(timestep, guidance.cond);
        guidedPrediction(this.prediction, uncond, 0, cond, 0, guidance.scale, 'unet');
        break;
      }
    }
    return this.prediction;
  }

  private async run(timestep: OrtTensor, context: OrtTensor): Promise<OrtTensor> {
    const out = await runSession(
      this.session,
      {
        [this.inputs.sample.name]: this.sample,
        [this.inputs.timestep.name]: timestep,
        [this.inputs.context.name]: context,
      },
      'unet',
    );
    const expected = this.batch * this.latentSize;
    if (out.data.length !== expected) {
      throw new DiffusionError(
        'MODEL_INVALID',
        `unet returned ${out.data.length} values for a ${expected}-value latent`,
      );
    }
    return out;
  }
}
