// Reading and replacing initializer weights as float32, whatever their
// storage (fp32 / fp16 raw data, float_data, or external data already loaded).
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { DataType, elementSize, type OnnxModel, type OnnxTensor } from './model';
import { isLazy, OnnxFormatError } from './proto';

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);

/** Round-to-nearest-even float32 → IEEE half bits. */
export function toHalfBits(value: number): number {
  f32[0] = value;
  return halfFromFloatBits(u32[0]!);
}

/**
 * A whole Float32Array → IEEE half bits (same rounding as `toHalfBits`), into `out` so callers
 * converting every step reuse one buffer. Reads the float bits through a Uint32Array view of the
 * source; values that stay normal in half precision — all but zeros, tiny, huge and non-finite
 * ones — round without branches.
 */
export function float32ToHalfBits(
  values: Float32Array,
  out: Uint16Array = new Uint16Array(values.length),
): Uint16Array {
  if (out.length < values.length)
    throw new RangeError(`half buffer of ${out.length} for ${values.length} values`);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) {
    const x = bits[i]!;
    const abs = x & 0x7fffffff;
    if (abs >= 0x38800000 && abs < 0x47800000) {
      // Rebias the exponent (127 → 15), then round half to even: adding 0xfff plus the kept lsb
      // carries exactly when the dropped 13 bits are above half, or at half with an odd lsb. A carry
      // out of the largest half gives 0x7c00, infinity, as it should.
      out[i] = ((x >>> 16) & 0x8000) | ((abs - 0x38000000 + 0xfff + ((abs >>> 13) & 1)) >>> 13);
    } else {
      out[i] = halfFromFloatBits(x);
    }
  }
  return out;
}

function halfFromFloatBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / NaN
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow → inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow → ±0
    mant |= 0x800000;
    const shift = 14 - e;
    const half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    return sign | (rem > mid || (rem === mid && half & 1) ? half + 1 : half);
  }
  const half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  // Carry from rounding may bump the exponent, which is the right result (up to inf).
  return sign | (rem > 0x1000 || (rem === 0x1000 && half & 1) ? half + 1 : half);
}

export function fromHalfBits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >>> 10) & 0x1f;
  const mant = h & 0x3ff;
  if (exp === 0) return sign * mant * 2 ** -24;
  if (exp === 0x1f) return mant ? NaN : sign * Infinity;
  return sign * (1 + mant / 1024) * 2 ** (exp - 15);
}

export function float32ToFloat16Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(float32ToHalfBits(values).buffer);
}

let table: Float32Array | undefined;

/**
 * Every half-precision value by its bits (built on first use), so widening fp16 — model outputs,
 * weights for LoRA merging — is one lookup per element instead of a pow() per element.
 */
export function halfTable(): Float32Array {
  if (!table) {
    table = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) table[h] = fromHalfBits(h);
  }
  return table;
}

/** IEEE half bits → float32, into `out` (a fresh array unless given). */
export function halfToFloat32(
  half: Uint16Array,
  out: Float32Array = new Float32Array(half.length),
): Float32Array {
  const widen = halfTable();
  for (let i = 0; i < half.length; i++) out[i] = widen[half[i]!]!;
  return out;
}

/** fp16 bytes (little-endian, any alignment) → float32 (sd15 weights widen in well under a second). */
export function float16BytesToFloat32(bytes: Uint8Array): Float32Array {
  const count = bytes.byteLength >>> 1;
  // A misaligned view needs an aligned copy. (Not `bytes.slice()`: on a Node Buffer that is a view
  // into the same, possibly pooled, ArrayBuffer.)
  const bits =
    bytes.byteOffset % 2 === 0
      ? new Uint16Array(bytes.buffer, bytes.byteOffset, count)
      : new Uint16Array(Uint8Array.from(bytes.subarray(0, count * 2)).buffer);
  return halfToFloat32(bits);
}

export function elementCount(dims: readonly number[]): number {
  return dims.reduce((n, d) => n * d, 1);
}

export function findInitializer(model: OnnxModel, name: string): OnnxTensor | undefined {
  return model.graph.initializers.find((t) => t.name === name);
}

function requireInitializer(model: OnnxModel, name: string): OnnxTensor {
  const t = findInitializer(model, name);
  if (!t) throw new OnnxFormatError(`Initializer not found: ${name}`);
  return t;
}

/** The tensor's raw little-endian bytes; throws for external data that was not loaded. */
export function tensorBytes(t: OnnxTensor): Uint8Array {
  if (t.dataLocation === 'external') {
    throw new OnnxFormatError(
      `Tensor ${t.name} keeps its data in an external file: call loadExternalData first`,
    );
  }
  if (t.rawData !== undefined) return isLazy(t.rawData) ? t.rawData.produce() : t.rawData;
  if (t.dataType === DataType.FLOAT && t.floatData)
    return new Uint8Array(Float32Array.from(t.floatData).buffer);
  if (t.dataType === DataType.FLOAT16 && t.int32Data) {
    // ONNX stores fp16 in int32_data as the 16-bit patterns.
    return new Uint8Array(Uint16Array.from(t.int32Data).buffer);
  }
  if (t.dataType === DataType.INT64 && t.int64Data)
    return new Uint8Array(BigInt64Array.from(t.int64Data).buffer);
  if (t.dataType === DataType.INT32 && t.int32Data)
    return new Uint8Array(Int32Array.from(t.int32Data).buffer);
  if (elementCount(t.dims) === 0) return new Uint8Array(0);
  throw new OnnxFormatError(`Tensor ${t.name} has no data this reader understands (type ${t.dataType})`);
}

/** An initializer's values as float32 (fp16 is widened). A copy: editing it changes nothing until set. */
export function getInitializerFloats(model: OnnxModel, name: string): Float32Array {
  const t = requireInitializer(model, name);
  const bytes = tensorBytes(t);
  if (t.dataType === DataType.FLOAT) {
    const out = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(out.buffer).set(bytes);
    return out;
  }
  if (t.dataType === DataType.FLOAT16) return float16BytesToFloat32(bytes);
  throw new OnnxFormatError(`Initializer ${name} is not float32/float16 (type ${t.dataType})`);
}

/**
 * Replace an initializer's values, keeping its dtype (float32 values are
 * narrowed to fp16 for fp16 tensors) and dims. The tensor then holds its own
 * raw data in the model (external data references are dropped).
 */
export function setInitializerFloats(model: OnnxModel, name: string, values: Float32Array): void {
  const t = requireInitializer(model, name);
  const count = elementCount(t.dims);
  if (values.length !== count) {
    throw new OnnxFormatError(`Initializer ${name} has ${count} elements, got ${values.length}`);
  }
  let raw: Uint8Array;
  if (t.dataType === DataType.FLOAT)
    raw = new Uint8Array(values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength));
  else if (t.dataType === DataType.FLOAT16) raw = float32ToFloat16Bytes(values);
  else throw new OnnxFormatError(`Initializer ${name} is not float32/float16 (type ${t.dataType})`);
  t.rawData = raw;
  delete t.floatData;
  delete t.int32Data;
  delete t.externalData;
  delete t.dataLocation;
}

function externalField(t: OnnxTensor, key: string): string | undefined {
  return t.externalData?.find((e) => e.key === key)?.value;
}

/**
 * Load every external-data tensor's bytes from the files beside the model
 * (`dir`) into `rawData`, so the model is self-contained in memory. Reads each
 * tensor's own byte range (data files may exceed Node's 2 GB readFile limit).
 */
export function loadExternalData(model: OnnxModel, dir: string): void {
  const files = new Map<string, { fd: number; size: number }>();
  try {
    for (const t of model.graph.initializers) {
      if (t.dataLocation !== 'external') continue;
      const location = externalField(t, 'location');
      if (!location || location.includes('..') || isAbsolute(location)) {
        throw new OnnxFormatError(`Tensor ${t.name} has a bad external location`);
      }
      let file = files.get(location);
      if (!file) {
        const fd = openSync(join(dir, location), 'r');
        file = { fd, size: fstatSync(fd).size };
        files.set(location, file);
      }
      const offset = Number(externalField(t, 'offset') ?? 0);
      const length = Number(externalField(t, 'length') ?? elementCount(t.dims) * elementSize(t.dataType));
      if (offset + length > file.size)
        throw new OnnxFormatError(`Tensor ${t.name} points past the end of ${location}`);
      const bytes = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const n = readSync(file.fd, bytes, got, length - got, offset + got);
        if (n === 0) throw new OnnxFormatError(`Unexpected end of ${location}`);
        got += n;
      }
      t.rawData = bytes;
      delete t.externalData;
      delete t.dataLocation;
    }
  } finally {
    for (const { fd } of files.values()) closeSync(fd);
  }
}
