import { DiffusionError } from '../pipeline/errors';

/**
 * Deterministic Gaussian noise for a seed, identical on every platform and backend:
 * - the seed (an integer 0 … 2^53−1) is split into two 32-bit words and expanded with
 *   splitmix32 into the 128-bit state of xoshiro128** (a small, well-tested PRNG);
 * - each pair of uniforms u1 ∈ (0, 1], u2 ∈ [0, 1) gives two standard normals by Box–Muller:
 *   r = √(−2 ln u1), z0 = r·cos(2π u2), z1 = r·sin(2π u2).
 * Values are drawn in order: first the initial latent (N, C, H, W row-major), then the
 * per-step noise of ancestral samplers. The same seed therefore gives the same latents
 * (not the same as PyTorch's generator: images differ from diffusers for the same seed).
 */
export class SeededNoise {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;
  private spare: number | undefined;

  constructor(seed: number) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new DiffusionError('INVALID_INPUT', `seed must be an integer between 0 and 2^53-1, got ${seed}`);
    }
    let mix = (seed % 0x1_0000_0000) ^ Math.imul(Math.floor(seed / 0x1_0000_0000), 0x9e3779b9);
    const next = (): number => {
      mix = (mix + 0x9e3779b9) | 0;
      let z = mix;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
  }

  /** Next uniform 32-bit integer (xoshiro128**). */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Next standard normal value. */
  nextGaussian(): number {
    if (this.spare !== undefined) {
      const value = this.spare;
      this.spare = undefined;
      return value;
    }
    const u1 = 1 - this.nextUint32() / 0x1_0000_0000;
    const u2 = this.nextUint32() / 0x1_0000_0000;
    const r = Math.sqrt(-2 * Math.log(u1));
    this.spare = r * Math.sin(2 * Math.PI * u2);
    return r * Math.cos(2 * Math.PI * u2);
  }

  /** A fresh array of `length` standard normal values. */
  gaussian(length: number): Float32Array {
    const out = new Float32Array(length);
    for (let i = 0; i < length; i++) out[i] = this.nextGaussian();
    return out;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}
