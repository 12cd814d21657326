import { rename, rm, writeFile } from 'node:fs/promises';
import { DTYPE_BYTES, isDtype, type Dtype } from './dtypes';
import { SafetensorsError } from './errors';
import { floatToBf16Bits, floatToHalfBits } from './float16';

/** A tensor given as numbers, encoded to a float dtype on write. */
export interface FloatTensorInput {
  readonly dtype: 'F32' | 'F16' | 'BF16';
  readonly shape: readonly number[];
  readonly values: Float32Array | readonly number[];
}

/** A tensor given as raw little-endian bytes of any dtype. */
export interface RawTensorInput {
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

export type TensorInput = FloatTensorInput | RawTensorInput;

export type TensorInputs =
  Readonly<Record<string, TensorInput>> | ReadonlyArray<readonly [string, TensorInput]>;

/**
 * Encodes tensors as a safetensors file. Tensors are laid out in the order given; the header is
 * padded with spaces to a multiple of 8 bytes so data stays aligned, as the reference writer does.
 */
export function encodeSafetensors(
  tensors: TensorInputs,
  metadata?: Readonly<Record<string, string>>,
): Uint8Array {
  const list = Array.isArray(tensors)
    ? (tensors as ReadonlyArray<readonly [string, TensorInput]>)
    : Object.entries(tensors as Record<string, TensorInput>);
  const header: Record<string, unknown> = {};
  if (metadata) {
    for (const [key, value] of Object.entries(metadata)) {
      if (typeof value !== 'string')
        throw new SafetensorsError('bad_input', `metadata "${key}" is not a string`);
    }
    header.__metadata__ = metadata;
  }
  const encoded: Uint8Array[] = [];
  let offset = 0;
  for (const [name, tensor] of list) {
    if (name === '__metadata__' || Object.hasOwn(header, name))
      throw new SafetensorsError('bad_input', `duplicate or reserved name "${name}"`);
    const bytes = encodeTensor(name, tensor);
    header[name] = {
      dtype: tensor.dtype,
      shape: [...tensor.shape],
      data_offsets: [offset, offset + bytes.byteLength],
    };
    offset += bytes.byteLength;
    encoded.push(bytes);
  }
  let json = JSON.stringify(header);
  const headerBytesLength = Buffer.byteLength(json, 'utf8');
  json += ' '.repeat((8 - (headerBytesLength % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.byteLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerBytes.byteLength), true);
  out.set(headerBytes, 8);
  let position = 8 + headerBytes.byteLength;
  for (const bytes of encoded) {
    out.set(bytes, position);
    position += bytes.byteLength;
  }
  return out;
}

/** Writes a safetensors file atomically (temporary file + rename): readers never see half a file. */
export async function writeSafetensorsFile(
  path: string,
  tensors: TensorInputs,
  metadata?: Readonly<Record<string, string>>,
): Promise<void> {
  const bytes = encodeSafetensors(tensors, metadata);
  const temporary = `${path}.${process.pid}.${Date.now()}.tmp`;
  try {
    await writeFile(temporary, bytes);
    await rename(temporary, path);
  } catch (error) {
    await rm(temporary, { force: true });
    throw error;
  }
}

function encodeTensor(name: string, tensor: TensorInput): Uint8Array {
  if (!isDtype(tensor.dtype))
    throw new SafetensorsError('bad_input', `tensor "${name}" has unknown dtype ${String(tensor.dtype)}`);
  let count = 1;
  for (const dim of tensor.shape) {
    if (!Number.isSafeInteger(dim) || dim < 0)
      throw new SafetensorsError('bad_input', `tensor "${name}" has a bad shape`);
    count *= dim;
  }
  const expectedBytes = count * DTYPE_BYTES[tensor.dtype];
  if ('bytes' in tensor) {
    if (tensor.bytes.byteLength !== expectedBytes) {
      throw new SafetensorsError(
        'bad_input',
        `tensor "${name}" needs ${expectedBytes} bytes, got ${tensor.bytes.byteLength}`,
      );
    }
    return tensor.bytes;
  }
  const { values } = tensor;
  if (values.length !== count) {
    throw new SafetensorsError(
      'bad_input',
      `tensor "${name}" shape holds ${count} values, got ${values.length}`,
    );
  }
  const out = new Uint8Array(expectedBytes);
  const view = new DataView(out.buffer);
  if (tensor.dtype === 'F32')
    for (let i = 0; i < count; i++) view.setFloat32(i * 4, values[i] as number, true);
  else if (tensor.dtype === 'F16')
    for (let i = 0; i < count; i++) view.setUint16(i * 2, floatToHalfBits(values[i] as number), true);
  else for (let i = 0; i < count; i++) view.setUint16(i * 2, floatToBf16Bits(values[i] as number), true);
  return out;
}
