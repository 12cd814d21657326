// Plain-object view of the ONNX messages this project reads and writes.
// Fields this module does not model are kept byte-for-byte in `unknownFields`
// so decode → edit weights → encode never drops parts of a real export.
import type { Chunk } from './proto';

/** TensorProto.DataType values. */
export const DataType = {
  UNDEFINED: 0,
  FLOAT: 1,
  UINT8: 2,
  INT8: 3,
  UINT16: 4,
  INT16: 5,
  INT32: 6,
  INT64: 7,
  STRING: 8,
  BOOL: 9,
  FLOAT16: 10,
  DOUBLE: 11,
  UINT32: 12,
  UINT64: 13,
  BFLOAT16: 16,
} as const;
/** A TensorProto.DataType: one of `DataType`, or a type id this module does not name. */
export type DataTypeValue = number;

/** Bytes per element for the fixed-width types (0 for strings / unknown). */
export function elementSize(dataType: number): number {
  switch (dataType) {
    case DataType.FLOAT:
    case DataType.INT32:
    case DataType.UINT32:
      return 4;
    case DataType.INT64:
    case DataType.UINT64:
    case DataType.DOUBLE:
      return 8;
    case DataType.FLOAT16:
    case DataType.BFLOAT16:
    case DataType.INT16:
    case DataType.UINT16:
      return 2;
    case DataType.UINT8:
    case DataType.INT8:
    case DataType.BOOL:
      return 1;
    default:
      return 0;
  }
}

export interface StringEntry {
  key: string;
  value: string;
}

export interface OnnxTensor {
  name: string;
  dataType: DataTypeValue;
  dims: number[];
  /** Little-endian element bytes (the usual storage). May be lazy when building. */
  rawData?: Chunk;
  floatData?: number[];
  int32Data?: number[];
  int64Data?: bigint[];
  doubleData?: number[];
  stringData?: Uint8Array[];
  /** Set with dataLocation 'external': keys location, offset, length (ONNX external data spec). */
  externalData?: StringEntry[];
  dataLocation?: 'default' | 'external';
  docString?: string;
  unknownFields?: Uint8Array[];
}

/** One dimension: a fixed size, a symbolic name, or unknown. */
export type OnnxDim = number | string | null;

export interface OnnxValueInfo {
  name: string;
  /** Present for tensor-typed values; other TypeProto kinds live in unknownFields of `typeUnknown`. */
  elemType?: DataTypeValue;
  /** undefined = unknown rank. */
  shape?: OnnxDim[];
  docString?: string;
  /** Raw TypeProto fields not modelled (sequence/map/optional types, denotation). */
  typeUnknownFields?: Uint8Array[];
  unknownFields?: Uint8Array[];
}

export type OnnxAttribute =
  | { name: string; type: 'float'; value: number }
  | { name: string; type: 'int'; value: number }
  | { name: string; type: 'string'; value: string }
  | { name: string; type: 'tensor'; value: OnnxTensor }
  | { name: string; type: 'graph'; value: OnnxGraph }
  | { name: string; type: 'floats'; value: number[] }
  | { name: string; type: 'ints'; value: number[] }
  | { name: string; type: 'strings'; value: string[] }
  | { name: string; type: 'other'; value: Uint8Array[] };

export interface OnnxNode {
  opType: string;
  inputs: string[];
  outputs: string[];
  name?: string;
  /** '' or undefined = the default ONNX domain; e.g. 'com.microsoft' for ORT contrib ops. */
  domain?: string;
  attributes?: OnnxAttribute[];
  docString?: string;
  unknownFields?: Uint8Array[];
}

export interface OnnxGraph {
  name: string;
  nodes: OnnxNode[];
  initializers: OnnxTensor[];
  inputs: OnnxValueInfo[];
  outputs: OnnxValueInfo[];
  valueInfo: OnnxValueInfo[];
  docString?: string;
  unknownFields?: Uint8Array[];
}

export interface OnnxOpset {
  domain: string;
  version: number;
}

export interface OnnxModel {
  irVersion: number;
  opsetImports: OnnxOpset[];
  producerName?: string;
  producerVersion?: string;
  domain?: string;
  modelVersion?: number;
  docString?: string;
  metadata?: StringEntry[];
  graph: OnnxGraph;
  unknownFields?: Uint8Array[];
}
