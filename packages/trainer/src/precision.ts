// Mixed precision: an fp16 UNet trains in fp16 (forward and backward in the session) while the
// master weights, the optimizer and the loss stay fp32. Small fp16 gradients underflow to zero, so
// the loss is multiplied by a scale before the backward pass and the gradients divided by it after;
// the scale adapts (PyTorch's GradScaler rule): a step whose gradients overflow is skipped and the
// scale halved, and after `growthInterval` good steps in a row it doubles.
import { float32ToHalfBits, halfToFloat32, type Ort } from '@stylelicense/diffusion';
import type { Tensor } from 'onnxruntime-node';

export type Precision = 'fp32' | 'fp16';

/** A float feed in the graph input's precision (fp16 as raw half bits). */
export function floatFeed(
  ort: Ort,
  values: Float32Array,
  dims: readonly number[],
  precision: Precision,
): Tensor {
  return precision === 'fp16'
    ? new ort.Tensor('float16', float32ToHalfBits(values), dims)
    : new ort.Tensor('float32', values, dims);
}

/** A float32 or float16 output as float32 values. */
export function readFloat32(tensor: Tensor): Float32Array {
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  if (tensor.type === 'float16') return halfToFloat32(tensor.data as Uint16Array);
  throw new TypeError(`expected a float tensor, got ${tensor.type}`);
}

export interface LossScalerOptions {
  /** Default 2^16, PyTorch's. */
  readonly initialScale?: number;
  /** Good steps in a row before the scale doubles; default 200. */
  readonly growthInterval?: number;
}

export interface LossScaleReport {
  readonly finalScale: number;
  readonly skippedSteps: number;
}

export class DynamicLossScaler {
  private current: number;
  private goodSteps = 0;
  private skips = 0;
  private readonly growthInterval: number;

  constructor(options: LossScalerOptions = {}) {
    this.current = options.initialScale ?? 2 ** 16;
    this.growthInterval = options.growthInterval ?? 200;
  }

  get scale(): number {
    return this.current;
  }

  get skippedSteps(): number {
    return this.skips;
  }

  /**
   * Divides the gradients by the scale in place and settles the scale for the next step. Returns
   * false (skip this step: do not apply the gradients) when any of them is not finite.
   */
  unscale(grads: readonly Float32Array[]): boolean {
    const inverse = 1 / this.current;
    let finite = true;
    for (const g of grads) {
      for (let i = 0; i < g.length; i++) {
        const v = g[i]! * inverse;
        if (!Number.isFinite(v)) finite = false;
        g[i] = v;
      }
    }
    if (finite) {
      this.goodSteps += 1;
      if (this.goodSteps >= this.growthInterval) {
        this.current *= 2;
        this.goodSteps = 0;
      }
    } else {
      this.skips += 1;
      this.goodSteps = 0;
      this.current = Math.max(1, this.current / 2);
    }
    return finite;
  }

  report(): LossScaleReport {
    return { finalScale: this.current, skippedSteps: this.skips };
  }
}
