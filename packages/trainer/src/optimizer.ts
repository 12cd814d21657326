// AdamW over fp32 master weights, with a linear warm-up + cosine learning-rate schedule and
// clipping by the global gradient norm (the defaults of kohya's and diffusers' LoRA trainers).

export interface AdamWOptions {
  learningRate: number;
  beta1?: number;
  beta2?: number;
  epsilon?: number;
  weightDecay?: number;
}

export class AdamW {
  private readonly m: Float32Array[];
  private readonly v: Float32Array[];
  private step = 0;
  private readonly beta1: number;
  private readonly beta2: number;
  private readonly epsilon: number;
  private readonly weightDecay: number;

  constructor(
    readonly params: Float32Array[],
    options: AdamWOptions,
  ) {
    this.m = params.map((p) => new Float32Array(p.length));
    this.v = params.map((p) => new Float32Array(p.length));
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.epsilon = options.epsilon ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 1e-2;
  }

  /** One update with `grads` (same layout as params) at learning rate `lr`. */
  update(grads: Float32Array[], lr: number): void {
    this.step++;
    const c1 = 1 - this.beta1 ** this.step;
    const c2 = 1 - this.beta2 ** this.step;
    const { beta1, beta2, epsilon } = this;
    const decay = 1 - lr * this.weightDecay;
    this.params.forEach((p, k) => {
      const g = grads[k]!;
      const m = this.m[k]!;
      const v = this.v[k]!;
      for (let i = 0; i < p.length; i++) {
        const gi = g[i]!;
        m[i] = beta1 * m[i]! + (1 - beta1) * gi;
        v[i] = beta2 * v[i]! + (1 - beta2) * gi * gi;
        p[i] = p[i]! * decay - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + epsilon);
      }
    });
  }
}

/** Linear warm-up to `peak` over `warmupSteps`, then cosine decay to 0 at `totalSteps`. */
export function learningRateAt(step: number, peak: number, warmupSteps: number, totalSteps: number): number {
  if (step < warmupSteps) return (peak * (step + 1)) / warmupSteps;
  const progress = (step - warmupSteps) / Math.max(1, totalSteps - warmupSteps);
  return peak * 0.5 * (1 + Math.cos(Math.PI * Math.min(1, progress)));
}

/** Scales `grads` in place so their global L2 norm is at most `maxNorm`; returns the norm before. */
export function clipGradients(grads: Float32Array[], maxNorm: number): number {
  let sum = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) sum += g[i]! * g[i]!;
  const norm = Math.sqrt(sum);
  if (norm > maxNorm) {
    const factor = maxNorm / (norm + 1e-6);
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i]! *= factor;
  }
  return norm;
}
