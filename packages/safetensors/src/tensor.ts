import { SafetensorsError } from './errors';
import { bf16BitsToFloat, halfBitsToFloat } from './float16';
import { parseSafetensorsHeader, type SafetensorsHeader, type TensorInfo } from './header';

/** A validated safetensors file held in memory. */
export interface SafetensorsFile extends SafetensorsHeader {
  readonly bytes: Uint8Array;
}

/** Parses and validates a whole safetensors file held in memory. */
export function parseSafetensors(bytes: Uint8Array): SafetensorsFile {
  const header = parseSafetensorsHeader(bytes, bytes.byteLength);
  return { ...header, bytes };
}

export function getTensorInfo(header: SafetensorsHeader, name: string): TensorInfo {
  const info = header.tensors.get(name);
  if (!info) throw new SafetensorsError('tensor_missing', `no tensor named "${name}"`);
  return info;
}

/** The raw little-endian bytes of one tensor (a view, not a copy). */
export function tensorBytes(file: SafetensorsFile, name: string): Uint8Array {
  const info = getTensorInfo(file, name);
  const begin = file.dataStart + info.dataOffsets[0];
  return file.bytes.subarray(begin, begin + info.byteLength);
}

/** One tensor's values as float32 (half, bfloat16, integers and bools converted; I64 may round). */
export function tensorToFloat32(file: SafetensorsFile, name: string): Float32Array {
  const info = getTensorInfo(file, name);
  return decodeToFloat32(info, tensorBytes(file, name));
}

/** Decodes little-endian tensor bytes of `info`'s dtype into float32. */
export function decodeToFloat32(
  info: Pick<TensorInfo, 'dtype' | 'elementCount'>,
  bytes: Uint8Array,
): Float32Array {
  const n = info.elementCount;
  const out = new Float32Array(n);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (info.dtype) {
    case 'F32':
      for (let i = 0; i < n; i++) out[i] = view.getFloat32(i * 4, true);
      break;
    case 'F64':
      for (let i = 0; i < n; i++) out[i] = view.getFloat64(i * 8, true);
      break;
    case 'F16':
      for (let i = 0; i < n; i++) out[i] = halfBitsToFloat(view.getUint16(i * 2, true));
      break;
    case 'BF16':
      for (let i = 0; i < n; i++) out[i] = bf16BitsToFloat(view.getUint16(i * 2, true));
      break;
    case 'I64':
      for (let i = 0; i < n; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      break;
    case 'I32':
      for (let i = 0; i < n; i++) out[i] = view.getInt32(i * 4, true);
      break;
    case 'I16':
      for (let i = 0; i < n; i++) out[i] = view.getInt16(i * 2, true);
      break;
    case 'I8':
      for (let i = 0; i < n; i++) out[i] = view.getInt8(i);
      break;
    case 'U8':
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i);
      break;
    case 'BOOL':
      for (let i = 0; i < n; i++) out[i] = view.getUint8(i) ? 1 : 0;
      break;
  }
  return out;
}
