import { DTYPE_BYTES, isDtype, type Dtype } from './dtypes';
import { SafetensorsError } from './errors';

/** Same ceiling as the reference implementation: a header beyond 100 MB is an attack, not a model. */
export const MAX_HEADER_BYTES = 100_000_000;

export interface TensorInfo {
  readonly name: string;
  readonly dtype: Dtype;
  readonly shape: readonly number[];
  /** Byte range relative to the start of the data section (after the header). */
  readonly dataOffsets: readonly [begin: number, end: number];
  readonly byteLength: number;
  readonly elementCount: number;
}

export interface SafetensorsHeader {
  /** Length of the JSON header in bytes (the little-endian u64 at the start). */
  readonly headerByteLength: number;
  /** Absolute file offset where tensor data starts (8 + headerByteLength). */
  readonly dataStart: number;
  readonly fileByteLength: number;
  /** Tensors in data order (ascending offsets). */
  readonly tensors: ReadonlyMap<string, TensorInfo>;
  /** The optional `__metadata__` string map; null when absent. */
  readonly metadata: Readonly<Record<string, string>> | null;
}

const invalid = (reason: ConstructorParameters<typeof SafetensorsError>[0], message: string) =>
  new SafetensorsError(reason, message);

/** Reads the u64 header length; rejects lengths a file of `fileByteLength` cannot hold. */
export function readHeaderLength(prefix: Uint8Array, fileByteLength: number): number {
  if (fileByteLength < 8 || prefix.byteLength < 8) {
    throw invalid(
      'file_too_small',
      `file is ${fileByteLength} bytes; at least 8 are needed for the header length`,
    );
  }
  const view = new DataView(prefix.buffer, prefix.byteOffset, 8);
  const length = view.getBigUint64(0, true);
  if (length < 2n) throw invalid('header_length', `header length ${length} is too short for a JSON object`);
  if (length > BigInt(MAX_HEADER_BYTES)) {
    throw invalid('header_length', `header length ${length} exceeds the ${MAX_HEADER_BYTES}-byte limit`);
  }
  if (length > BigInt(fileByteLength - 8)) {
    throw invalid(
      'header_length',
      `header length ${length} exceeds the ${fileByteLength - 8} bytes after it`,
    );
  }
  return Number(length);
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Validates the header of a file of `fileByteLength` bytes. `prefix` must hold at least the
 * first 8 + header length bytes (the data itself is not needed).
 */
export function parseSafetensorsHeader(prefix: Uint8Array, fileByteLength: number): SafetensorsHeader {
  const headerByteLength = readHeaderLength(prefix, fileByteLength);
  const dataStart = 8 + headerByteLength;
  if (prefix.byteLength < dataStart) {
    throw invalid('header_length', `only ${prefix.byteLength} of ${dataStart} header bytes were given`);
  }
  let text: string;
  try {
    text = utf8.decode(prefix.subarray(8, dataStart));
  } catch {
    throw invalid('header_json', 'header is not valid UTF-8');
  }
  if (!text.startsWith('{')) throw invalid('header_json', 'header does not start with "{"');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw invalid('header_json', `header is not valid JSON (${(error as Error).message})`);
  }
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw invalid('header_structure', 'header is not a JSON object');
  }

  let metadata: Record<string, string> | null = null;
  const entries: TensorInfo[] = [];
  for (const [name, value] of Object.entries(json as Record<string, unknown>)) {
    if (name === '__metadata__') metadata = parseMetadata(value);
    else entries.push(parseTensorInfo(name, value));
  }

  const dataByteLength = fileByteLength - dataStart;
  entries.sort((a, b) => a.dataOffsets[0] - b.dataOffsets[0] || a.dataOffsets[1] - b.dataOffsets[1]);
  let cursor = 0;
  for (const tensor of entries) {
    const [begin, end] = tensor.dataOffsets;
    if (begin !== cursor) {
      throw invalid(
        'bad_offsets',
        begin < cursor
          ? `tensor "${tensor.name}" overlaps the previous tensor (starts at ${begin}, previous ends at ${cursor})`
          : `gap before tensor "${tensor.name}" (starts at ${begin}, previous ends at ${cursor})`,
      );
    }
    cursor = end;
  }
  if (cursor !== dataByteLength) {
    throw invalid(
      'bad_offsets',
      cursor > dataByteLength
        ? `tensor data ends at ${cursor} but the file holds only ${dataByteLength} data bytes`
        : `file holds ${dataByteLength} data bytes but the tensors cover only ${cursor}`,
    );
  }

  return {
    headerByteLength,
    dataStart,
    fileByteLength,
    tensors: new Map(entries.map((tensor) => [tensor.name, tensor])),
    metadata,
  };
}

function parseMetadata(value: unknown): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('header_structure', '__metadata__ is not an object');
  }
  const metadata: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value as Record<string, unknown>)) {
    if (typeof entry !== 'string')
      throw invalid('header_structure', `__metadata__["${key}"] is not a string`);
    metadata[key] = entry;
  }
  return metadata;
}

const TENSOR_FIELDS = new Set(['dtype', 'shape', 'data_offsets']);

function parseTensorInfo(name: string, value: unknown): TensorInfo {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw invalid('header_structure', `entry "${name}" is not an object`);
  }
  const record = value as Record<string, unknown>;
  for (const field of Object.keys(record)) {
    if (!TENSOR_FIELDS.has(field))
      throw invalid('header_structure', `tensor "${name}" has unknown field "${field}"`);
  }
  const { dtype, shape, data_offsets: offsets } = record;
  if (!isDtype(dtype))
    throw invalid('unknown_dtype', `tensor "${name}" has unknown dtype ${JSON.stringify(dtype)}`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && (d as number) >= 0)) {
    throw invalid(
      'bad_shape',
      `tensor "${name}" has shape ${JSON.stringify(shape)}; expected non-negative integers`,
    );
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && (o as number) >= 0) ||
    (offsets[0] as number) > (offsets[1] as number)
  ) {
    throw invalid('bad_offsets', `tensor "${name}" has data_offsets ${JSON.stringify(offsets)}`);
  }
  const dims = shape as number[];
  let elementCount = 1;
  for (const dim of dims) {
    elementCount *= dim;
    if (!Number.isSafeInteger(elementCount)) throw invalid('bad_shape', `tensor "${name}" shape overflows`);
  }
  const [begin, end] = offsets as [number, number];
  const byteLength = end - begin;
  const expected = elementCount * DTYPE_BYTES[dtype];
  if (byteLength !== expected) {
    throw invalid(
      'size_mismatch',
      `tensor "${name}" (${dtype} ${JSON.stringify(dims)}) needs ${expected} bytes but data_offsets span ${byteLength}`,
    );
  }
  return { name, dtype, shape: dims, dataOffsets: [begin, end], byteLength, elementCount };
}
