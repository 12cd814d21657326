// Deterministic random weights: each tensor's values depend only on (seed,
// tensor name), so models are byte-identical across runs and build order.
import { DataType, type DataTypeValue, float32ToFloat16Bytes, type LazyBytes } from '../onnx';

/** FNV-1a over the name, mixed with the seed: a 32-bit stream id per tensor. */
function streamSeed(seed: number, name: string): number {
  let h = 0x811c9dc5 ^ (seed >>> 0);
  for (let i = 0; i < name.length; i++) {
    h ^= name.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** xorshift128 uniform floats in [-1, 1). Fast enough for a billion values. */
export function uniformValues(seed: number, name: string, count: number): Float32Array {
  let x = streamSeed(seed, name) || 1;
  let y = 362436069;
  let z = 521288629;
  let w = 88675123 ^ x;
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) {
    const t = x ^ (x << 11);
    x = y;
    y = z;
    z = w;
    w = (w ^ (w >>> 19) ^ (t ^ (t >>> 8))) >>> 0;
    out[i] = w / 2147483648 - 1;
  }
  return out;
}

export type WeightInit =
  /** Uniform with the given standard deviation (e.g. 1/sqrt(fan_in)). */
  | { kind: 'random'; std: number }
  /** `center` + uniform noise of the given std (norm scales near 1). */
  | { kind: 'around'; center: number; std: number };

export function weightValues(seed: number, name: string, count: number, init: WeightInit): Float32Array {
  const values = uniformValues(seed, name, count);
  // Uniform on [-a, a] has std a/sqrt(3).
  const a = init.std * Math.sqrt(3);
  const center = init.kind === 'around' ? init.center : 0;
  for (let i = 0; i < count; i++) values[i] = center + values[i]! * a;
  return values;
}

/** Weight bytes produced only when the file is written (one tensor in memory at a time). */
export function lazyWeight(
  seed: number,
  name: string,
  count: number,
  dataType: DataTypeValue,
  init: WeightInit,
): LazyBytes {
  const half = dataType === DataType.FLOAT16;
  return {
    byteLength: count * (half ? 2 : 4),
    produce(): Uint8Array {
      const values = weightValues(seed, name, count, init);
      return half ? float32ToFloat16Bytes(values) : new Uint8Array(values.buffer);
    },
  };
}
