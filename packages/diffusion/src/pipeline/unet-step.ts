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

/**
 * How the UNet is asked for a step's noise predictions, with the text embeddings already in its
 * dtype. With N items, `batched` rows are [uncond₀ … uncond_N−1, cond₀ … cond_N−1].
 */
export type UNetGuidance =
  | { kind: 'none'; context: OrtTensor }
  | { kind: 'batched'; context: OrtTensor; scales: readonly number[] }
  /** exports with a fixed batch of 1: one run per half, one item */
  | { kind: 'separate'; uncond: OrtTensor; cond: OrtTensor; scales: readonly [number] };

export interface UNetInputs {
  sample: InputSpec;
  timestep: InputSpec;
  context: InputSpec;
}

/**
 * The UNet's noise predictions for N items per denoising step without allocating per step: the
 * scaled latents are written in the model's dtype into one sample tensor (into both halves of the
 * batch when guiding), timestep tensors are made once per step value, constant feeds (the rows'
 * LoRA factors) are passed as they are, and each output is read once — guided and widened in one
 * pass — into one Float32Array per item, which each call overwrites. Reusing the tensors is safe:
 * ONNX Runtime's run is done with its inputs by the time it resolves.
 */
export class UNetStep {
  private readonly latentSize: number;
  private readonly items: number;
  private readonly rows: number;
  private readonly sample: OrtTensor;
  private readonly scaled: Float32Array;
  private readonly half: Uint16Array | undefined;
  private readonly timesteps: OrtTensor[];
  private readonly predictions: Float32Array[];

  constructor(
    private readonly session: InferenceSession,
    private readonly inputs: UNetInputs,
    latentDims: readonly [number, number, number],
    timesteps: Float64Array,
    private readonly guidance: UNetGuidance,
    items: number,
    private readonly constantFeeds: Record<string, OrtTensor> = {},
  ) {
    this.latentSize = latentDims[0] * latentDims[1] * latentDims[2];
    this.items = items;
    this.rows = guidance.kind === 'batched' ? 2 * items : items;
    this.sample = floatTensor(new Float32Array(this.rows * this.latentSize), inputs.sample, [
      this.rows,
      ...latentDims,
    ]);
    const firstHalf = items * this.latentSize;
    if (this.sample.type === 'float16') {
      this.scaled = new Float32Array(firstHalf);
      this.half = (this.sample.data as Uint16Array).subarray(0, firstHalf);
    } else {
      this.scaled = (this.sample.data as Float32Array).subarray(0, firstHalf);
    }
    const count = typeof inputs.timestep.shape[0] === 'number' ? inputs.timestep.shape[0] : 1;
    this.timesteps = Array.from(timesteps, (t) => timestepTensor(t, inputs.timestep, count));
    this.predictions = Array.from({ length: items }, () => new Float32Array(this.latentSize));
  }

  /** ε per item for `latents[i]` (scaled by `inputScales[i]`) at the scheduler's step `stepIndex`. */
  async predict(
    latents: readonly Float32Array[],
    inputScales: readonly number[],
    stepIndex: number,
  ): Promise<Float32Array[]> {
    const n = this.latentSize;
    for (let item = 0; item < this.items; item++) {
      const source = latents[item]!;
      const scale = inputScales[item]!;
      const target = this.scaled.subarray(item * n, (item + 1) * n);
      for (let i = 0; i < n; i++) target[i] = source[i]! * scale;
    }
    if (this.half) float32ToHalfBits(this.scaled, this.half);
    const firstHalf = this.items * n;
    if (this.rows > this.items)
      (this.sample.data as Float32Array | Uint16Array).copyWithin(firstHalf, 0, firstHalf);
    const timestep = this.timesteps[stepIndex]!;
    const guidance = this.guidance;
    switch (guidance.kind) {
      case 'none': {
        const out = await this.run(timestep, guidance.context);
        this.predictions.forEach((p, item) => readFloatsInto(p, out, 'unet', item * n));
        break;
      }
      case 'batched': {
        const out = await this.run(timestep, guidance.context);
        this.predictions.forEach((p, item) =>
          guidedPrediction(p, out, item * n, out, firstHalf + item * n, guidance.scales[item]!, 'unet'),
        );
        break;
      }
      case 'separate': {
        const uncond = await this.run(timestep, guidance.uncond);
        const cond = await this.run(timestep, guidance.cond);
        guidedPrediction(this.predictions[0]!, uncond, 0, cond, 0, guidance.scales[0], 'unet');
        break;
      }
    }
    return this.predictions;
  }

  private async run(timestep: OrtTensor, context: OrtTensor): Promise<OrtTensor> {
    const out = await runSession(
      this.session,
      {
        ...this.constantFeeds,
        [this.inputs.sample.name]: this.sample,
        [this.inputs.timestep.name]: timestep,
        [this.inputs.context.name]: context,
      },
      'unet',
    );
    const expected = (this.guidance.kind === 'separate' ? 1 : this.rows) * this.latentSize;
    if (out.data.length !== expected) {
      throw new DiffusionError(
        'MODEL_INVALID',
        `unet returned ${out.data.length} values for a ${expected}-value latent`,
      );
    }
    return out;
  }
}
