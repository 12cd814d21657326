// Appends nodes to an existing ONNX graph under names that cannot collide with
// the forward graph's (every new value carries the `grad/` prefix).
import {
  DataType,
  float32ToFloat16Bytes,
  type DataTypeValue,
  type OnnxAttribute,
  type OnnxGraph,
} from '@stylelicense/diffusion';

export type Attr = number | string | number[] | { float: number } | { ints: number[] };

function toAttribute(name: string, v: Attr): OnnxAttribute {
  if (typeof v === 'number')
    return Number.isInteger(v) ? { name, type: 'int', value: v } : { name, type: 'float', value: v };
  if (typeof v === 'string') return { name, type: 'string', value: v };
  if (Array.isArray(v)) return { name, type: 'ints', value: v };
  if ('float' in v) return { name, type: 'float', value: v.float };
  return { name, type: 'ints', value: v.ints };
}

export class Emitter {
  private counter = 0;
  private readonly constants = new Map<string, string>();

  constructor(
    readonly graph: OnnxGraph,
    private readonly prefix = 'grad/',
  ) {}

  fresh(hint: string): string {
    return `${this.prefix}${hint}_${this.counter++}`;
  }

  op(type: string, inputs: string[], attrs: Record<string, Attr> = {}): string {
    return this.multi(type, inputs, attrs, 1)[0]!;
  }

  multi(type: string, inputs: string[], attrs: Record<string, Attr>, count: number): string[] {
    const outputs = Array.from({ length: count }, () => this.fresh(type));
    this.graph.nodes.push({
      opType: type,
      inputs,
      outputs,
      name: this.fresh(`${type}_node`),
      attributes: Object.entries(attrs).map(([k, v]) => toAttribute(k, v)),
    });
    return outputs;
  }

  /** A constant tensor, shared between identical uses. */
  constant(dataType: DataTypeValue, dims: number[], values: readonly number[]): string {
    const key = `${dataType}|${dims.join(',')}|${values.join(',')}`;
    const known = this.constants.get(key);
    if (known) return known;
    let bytes: Uint8Array;
    if (dataType === DataType.INT64) bytes = new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer);
    else if (dataType === DataType.FLOAT) bytes = new Uint8Array(Float32Array.from(values).buffer);
    else if (dataType === DataType.DOUBLE) bytes = new Uint8Array(Float64Array.from(values).buffer);
    else if (dataType === DataType.FLOAT16) bytes = float32ToFloat16Bytes(Float32Array.from(values));
    else throw new Error(`Emitter.constant: unsupported data type ${dataType}`);
    const name = this.fresh('const');
    this.graph.initializers.push({ name, dataType, dims, rawData: bytes });
    this.constants.set(key, name);
    return name;
  }

  ints(values: readonly number[]): string {
    return this.constant(DataType.INT64, [values.length], values);
  }

  scalar(value: number, dataType: DataTypeValue): string {
    return this.constant(dataType, [], [value]);
  }
}
