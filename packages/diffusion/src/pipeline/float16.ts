import { fromHalfBits } from '../onnx';

/**
 * Every half-precision value by its bits, so widening fp16 (model outputs, weights for LoRA merging)
 * is one table lookup per element instead of a pow() per element.
 */
export const HALF_TABLE: Float32Array = Float32Array.from({ length: 65536 }, (_, bits) => fromHalfBits(bits));

export function halfToFloat32(half: Uint16Array): Float32Array {
  const out = new Float32Array(half.length);
  for (let i = 0; i < half.length; i++) out[i] = HALF_TABLE[half[i]!]!;
  return out;
}

/** Little-endian fp16 bytes (any alignment) → float32. */
export function halfBytesToFloat32(bytes: Uint8Array): Float32Array {
  const aligned = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice();
  return halfToFloat32(new Uint16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2));
}
