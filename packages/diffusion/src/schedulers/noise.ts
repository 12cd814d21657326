import { DiffusionError } from '../pipeline/errors';

/**
 * Deterministic Gaussian noise for a seed, identical on every platform and backend:
 * - the seed (an integer 0 … 2^53−1) is split into two 32-bit words and expanded with
 *   splitmix32 into the 128-bit state of xoshiro128** (a small, well-tested PRNG);
 * - each standard normal comes from the Ziggurat method (Marsaglia & Tsang 2000) over 256 layers of
 *   equal area under f(x) = e^(−x²/2) (EDGE and HEIGHT below). One 32-bit word u is drawn: bits 0–7
 *   pick the layer i, bit 8 is the sign (set = negative), bits 9–31 the position j, and
 *   x = j·EDGE[i]/2²³. If x lies inside the next narrower layer (j < INNER[i], ≈ 98.5 % of draws),
 *   ±x is the value. Otherwise:
 *   - layers 1–255: one more word w gives a height y = HEIGHT[i] + (w/2³²)·(HEIGHT[i+1] − HEIGHT[i]);
 *     ±x is the value if y < f(x), else the draw starts over with a new word u;
 *   - layer 0, beyond r = EDGE[1]: Marsaglia's tail — pairs of words a, b give x = −ln(1 − a/2³²)/r
 *     and y = −ln(1 − b/2³²), repeated until 2y ≥ x²; ±(r + x) is the value.
 * Values are drawn in order: first the initial latent (N, C, H, W row-major), then the
 * per-step noise of ancestral samplers, element by element. The same seed therefore gives the same
 * latents (not the same as PyTorch's generator: images differ from diffusers for the same seed).
 */
export class SeededNoise {
  private s0: number;
  private s1: number;
  private s2: number;
  private s3: number;

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
    const u = this.nextUint32();
    const j = u >>> 9;
    // The sign comes with the width (no unpredictable branch): bits 0–8 index SIGNED_WIDTH.
    if (j < INNER[u & 0xff]!) return j * SIGNED_WIDTH[u & 0x1ff]!;
    return this.edgeGaussian(u);
  }

  /** The rare draws outside a layer's inner part: the wedge test, the tail, or a fresh word. */
  private edgeGaussian(word: number): number {
    for (let u = word; ; u = this.nextUint32()) {
      const j = u >>> 9;
      const layer = u & 0xff;
      const sign = u & 0x100 ? -1 : 1;
      let x = j * WIDTH[layer]!;
      if (j < INNER[layer]!) return sign * x;
      if (layer === 0) {
        let y: number;
        do {
          x = -Math.log(1 - this.nextUint32() / 0x1_0000_0000) / TAIL_START;
          y = -Math.log(1 - this.nextUint32() / 0x1_0000_0000);
        } while (y + y < x * x);
        return sign * (TAIL_START + x);
      }
      const y = HEIGHT[layer]! + (this.nextUint32() / 0x1_0000_0000) * (HEIGHT[layer + 1]! - HEIGHT[layer]!);
      if (y < Math.exp(-0.5 * x * x)) return sign * x;
    }
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

// Ziggurat tables for f(x) = e^(−x²/2): 256 layers, each of area LAYER_AREA. Layer 0 is the base:
// the rectangle [0, r] × [0, f(r)] plus the tail beyond r, as wide as a rectangle of that area
// would be (EDGE[0]). Layer i ≥ 1 spans heights f(EDGE[i]) … f(EDGE[i+1]) with width EDGE[i];
// EDGE[256] = 0. r and the area are Marsaglia & Tsang's constants for 256 layers: with them the
// top layer ends at f(0) = 1.
const LAYERS = 256;
const TAIL_START = 3.6541528853610088;
const LAYER_AREA = 4.92867323399e-3;
const density = (x: number): number => Math.exp(-0.5 * x * x);
const EDGE = new Float64Array(LAYERS + 1);
EDGE[0] = LAYER_AREA / density(TAIL_START);
EDGE[1] = TAIL_START;
for (let i = 1; i < LAYERS - 1; i++) {
  EDGE[i + 1] = Math.sqrt(-2 * Math.log(density(EDGE[i]!) + LAYER_AREA / EDGE[i]!));
}
/** x = j · WIDTH[i] for a 23-bit position j; SIGNED_WIDTH[i + 256] = −WIDTH[i] for negative draws. */
const WIDTH = Float64Array.from({ length: LAYERS }, (_, i) => EDGE[i]! / 2 ** 23);
const SIGNED_WIDTH = Float64Array.from({ length: 2 * LAYERS }, (_, i) =>
  i < LAYERS ? WIDTH[i]! : -WIDTH[i - LAYERS]!,
);
/** Positions below INNER[i] lie under the next narrower layer, so under the curve. */
const INNER = Uint32Array.from({ length: LAYERS }, (_, i) => Math.floor((EDGE[i + 1]! / EDGE[i]!) * 2 ** 23));
/** f at each layer's lower edge; HEIGHT[256] = f(0) = 1. */
const HEIGHT = Float64Array.from(EDGE, density);
