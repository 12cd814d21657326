// A small DSL for writing ONNX graphs by hand: named initializers, nodes with
// auto-named outputs, graph inputs/outputs with symbolic dimensions.
import {
  DataType,
  type DataTypeValue,
  type OnnxAttribute,
  type OnnxDim,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
  type OnnxValueInfo,
} from './model';
import { type Chunk, OnnxFormatError } from './proto';
import { float32ToFloat16Bytes } from './tensor';

export type AttrValue =
  | number
  | string
  | number[]
  | string[]
  | OnnxTensor
  | { float: number }
  | { floats: number[] }
  | { ints: number[] };

export interface NodeOptions {
  domain?: string;
  /** Output count (default 1). */
  outputs?: number;
  /** Explicit output names instead of generated ones. */
  outputNames?: string[];
  name?: string;
}

/**
 * Integers become INT attributes, non-integers FLOAT; wrap with `{ float: 1 }`
 * to force a FLOAT that happens to be integral (e.g. `epsilon`, `alpha`).
 */
function toAttribute(name: string, v: AttrValue): OnnxAttribute {
  if (typeof v === 'number')
    return Number.isInteger(v) ? { name, type: 'int', value: v } : { name, type: 'float', value: v };
  if (typeof v === 'string') return { name, type: 'string', value: v };
  if (Array.isArray(v)) {
    if (v.every((x) => typeof x === 'string')) return { name, type: 'strings', value: v };
    return v.every(Number.isInteger) ? { name, type: 'ints', value: v } : { name, type: 'floats', value: v };
  }
  if ('float' in v) return { name, type: 'float', value: v.float };
  if ('floats' in v) return { name, type: 'floats', value: v.floats };
  if ('ints' in v) return { name, type: 'ints', value: v.ints };
  return { name, type: 'tensor', value: v };
}

const INT64_MAX = (1n << 63n) - 1n;

/** Numbers at or past 2^63 (how JS spells INT64_MAX, e.g. Slice's "to the end") clamp to INT64_MAX. */
function toInt64(v: number): bigint {
  const big = BigInt(Math.trunc(v));
  return big > INT64_MAX ? INT64_MAX : big;
}

export class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  readonly initializers: OnnxTensor[] = [];
  readonly inputs: OnnxValueInfo[] = [];
  readonly outputs: OnnxValueInfo[] = [];
  private readonly names = new Set<string>();
  private readonly constants = new Map<string, string>();
  private counter = 0;

  constructor(readonly name = 'main_graph') {}

  private claim(name: string): string {
    if (this.names.has(name)) throw new OnnxFormatError(`Duplicate value name in graph: ${name}`);
    this.names.add(name);
    return name;
  }

  /** A fresh, unused value name with a readable prefix. */
  fresh(prefix: string): string {
    let n: string;
    do n = `${prefix}_${this.counter++}`;
    while (this.names.has(n));
    return n;
  }

  input(name: string, elemType: DataTypeValue, shape: OnnxDim[]): string {
    this.inputs.push({ name: this.claim(name), elemType, shape });
    return name;
  }

  /** Declare `value` as a graph output named `name` (an Identity is inserted when the names differ). */
  output(value: string, name: string, elemType: DataTypeValue, shape: OnnxDim[]): void {
    if (value !== name) this.node('Identity', [value], {}, { outputNames: [name] });
    this.outputs.push({ name, elemType, shape });
  }

  /** Add a named initializer (weights). `data` is little-endian raw bytes, possibly lazy. */
  initializer(name: string, dataType: DataTypeValue, dims: number[], data: Chunk): string {
    this.initializers.push({ name: this.claim(name), dataType, dims, rawData: data });
    return name;
  }

  /** A small constant initializer, shared between identical uses. */
  constant(dataType: DataTypeValue, dims: number[], values: readonly number[]): string {
    const key = `${dataType}|${dims.join(',')}|${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    let bytes: Uint8Array;
    if (dataType === DataType.INT64) bytes = new Uint8Array(BigInt64Array.from(values.map(toInt64)).buffer);
    else if (dataType === DataType.INT32) bytes = new Uint8Array(Int32Array.from(values).buffer);
    else if (dataType === DataType.FLOAT) bytes = new Uint8Array(Float32Array.from(values).buffer);
    else if (dataType === DataType.FLOAT16) bytes = float32ToFloat16Bytes(Float32Array.from(values));
    else throw new OnnxFormatError(`constant(): unsupported type ${dataType}; use initializer()`);
    const name = this.initializer(this.fresh('const'), dataType, dims, bytes);
    this.constants.set(key, name);
    return name;
  }

  int64s(values: readonly number[]): string {
    return this.constant(DataType.INT64, [values.length], values);
  }

  /** Add a node; returns its output names (one unless `options.outputs` says more). */
  nodeMulti(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    options: NodeOptions = {},
  ): string[] {
    const count = options.outputNames?.length ?? options.outputs ?? 1;
    const outputs = options.outputNames
      ? options.outputNames.map((n) => (n === '' ? n : this.claim(n))) // '' = optional output not produced
      : Array.from({ length: count }, () => this.claim(this.fresh(opType)));
    const node: OnnxNode = {
      opType,
      inputs,
      outputs,
      name: options.name ?? this.fresh(`${opType}_node`),
      attributes: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    };
    if (options.domain) node.domain = options.domain;
    this.nodes.push(node);
    return outputs;
  }

  node(
    opType: string,
    inputs: string[],
    attrs: Record<string, AttrValue> = {},
    options: NodeOptions = {},
  ): string {
    return this.nodeMulti(opType, inputs, attrs, options)[0]!;
  }

  toModel(opsets: { domain: string; version: number }[], extra: Partial<OnnxModel> = {}): OnnxModel {
    return {
      irVersion: 8,
      producerName: 'stylelicense-diffusion',
      ...extra,
      opsetImports: opsets,
      graph: {
        name: this.name,
        nodes: this.nodes,
        initializers: this.initializers,
        inputs: this.inputs,
        outputs: this.outputs,
        valueInfo: [],
      },
    };
  }
}
