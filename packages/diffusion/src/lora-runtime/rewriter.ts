// Name bookkeeping and graph lookups for the runtime LoRA rewrite: fresh names, emitted nodes,
// and the initializer behind a projection's weight (through Cast, Identity, Transpose or packing).
import {
  DataType,
  elementCount,
  tensorBytes,
  type DataTypeValue,
  type OnnxModel,
  type OnnxNode,
  type OnnxTensor,
} from '../onnx';
import { modulePaths } from '../lora/weight-index';

export interface Weight {
  tensor: OnnxTensor;
  path: string;
  /** The element type the consuming node sees (after any Cast). */
  dataType: DataTypeValue;
}

export function isConv(node: OnnxNode): boolean {
  const domain = node.domain ?? '';
  return (
    (node.opType === 'Conv' && domain === '') || (node.opType === 'NhwcConv' && domain === 'com.microsoft')
  );
}

/** Name bookkeeping and graph lookups for one rewrite. */
export class Rewriter {
  readonly constants: OnnxTensor[] = [];
  private readonly used = new Set<string>();
  private readonly initializers: Map<string, OnnxTensor>;
  private readonly producers = new Map<string, OnnxNode>();
  private counter = 0;

  constructor(model: OnnxModel) {
    this.initializers = new Map(model.graph.initializers.map((t) => [t.name, t]));
    for (const t of model.graph.initializers) this.used.add(t.name);
    for (const i of model.graph.inputs) this.used.add(i.name);
    for (const node of model.graph.nodes) {
      for (const o of node.outputs) {
        this.used.add(o);
        this.producers.set(o, node);
      }
      if (node.name) this.used.add(node.name);
    }
  }

  fresh(prefix: string): string {
    let name: string;
    do name = `${prefix}_${this.counter++}`;
    while (this.used.has(name));
    this.used.add(name);
    return name;
  }

  emit(
    nodes: OnnxNode[],
    opType: string,
    inputs: string[],
    ints: Record<string, number | number[]> = {},
  ): string {
    const out = this.fresh(`lora_${opType}`);
    const attributes = Object.entries(ints).map(([name, value]) =>
      Array.isArray(value) ? { name, type: 'ints' as const, value } : { name, type: 'int' as const, value },
    );
    nodes.push({ opType, inputs, outputs: [out], name: this.fresh(`lora_${opType}_node`), attributes });
    return out;
  }

  ints(values: number[]): string {
    const name = this.fresh('lora_shape');
    const bytes = new Uint8Array(BigInt64Array.from(values.map((v) => BigInt(v))).buffer);
    this.constants.push({ name, dataType: DataType.INT64, dims: [values.length], rawData: bytes });
    return name;
  }

  /** Moves the node's first output to a fresh name (returned) so the low-rank sum can take the old one. */
  renameOutput(node: OnnxNode): string {
    const base = this.fresh(`${node.outputs[0]}_base`);
    node.outputs = [base, ...node.outputs.slice(1)];
    return base;
  }

  /** The named initializer behind a weight input, through Cast / Identity / Transpose. */
  weight(name: string | undefined): Weight | undefined {
    let dataType: DataTypeValue | undefined;
    for (let hops = 0; name !== undefined && hops < 4; hops++) {
      const tensor = this.initializers.get(name);
      if (tensor) {
        const [path] = modulePaths(tensor.name, undefined);
        return path === undefined ? undefined : { tensor, path, dataType: dataType ?? tensor.dataType };
      }
      const producer = this.producers.get(name);
      if (!producer || !['Cast', 'Identity', 'Transpose'].includes(producer.opType)) return undefined;
      if (producer.opType === 'Cast' && dataType === undefined) dataType = intAttr(producer, 'to');
      name = producer.inputs[0];
    }
    return undefined;
  }

  /** [in, out] of a MatMul weight: stored [in, out], or [out, in] behind one 2-D Transpose. */
  linearDims(weight: Weight, input: string): [number, number] {
    const [d0, d1] = weight.tensor.dims as [number, number];
    let transposes = 0;
    for (let name: string | undefined = input; name && name !== weight.tensor.name;) {
      const producer = this.producers.get(name);
      if (!producer) break;
      if (producer.opType === 'Transpose') transposes++;
      name = producer.inputs[0];
    }
    return transposes % 2 === 0 ? [d0, d1] : [d1, d0];
  }

  is1x1(node: OnnxNode): boolean {
    const weight = this.weight(node.inputs[1]);
    if (!weight || weight.tensor.dims.length !== 4 || elementCount(weight.tensor.dims.slice(2)) !== 1)
      return false;
    const ones = (attr: string) => (intsAttr(node, attr) ?? [1]).every((v) => v === 1);
    const zeros = (intsAttr(node, 'pads') ?? [0]).every((v) => v === 0);
    return ones('strides') && ones('dilations') && zeros && (intAttr(node, 'group') ?? 1) === 1;
  }

  /**
   * Weights packed in-graph for a fused attention MatMul:
   * Reshape(Concat(Reshape(W_i, [in, …]) …, axis), [in, total]).
   */
  packed(
    input: string | undefined,
  ): { members: { weight: Weight; shape: number[] }[]; axis: number; shape: number[] } | undefined {
    const outer = input === undefined ? undefined : this.producers.get(input);
    if (outer?.opType !== 'Reshape') return undefined;
    const concat = this.producers.get(outer.inputs[0]!);
    const shape = this.int64Values(outer.inputs[1]);
    if (concat?.opType !== 'Concat' || !shape) return undefined;
    const axis = intAttr(concat, 'axis');
    if (axis === undefined || axis < 1) return undefined;
    const members: { weight: Weight; shape: number[] }[] = [];
    for (const part of concat.inputs) {
      const reshape = this.producers.get(part);
      const memberShape = reshape?.opType === 'Reshape' ? this.int64Values(reshape.inputs[1]) : undefined;
      const weight = reshape ? this.weight(reshape.inputs[0]) : undefined;
      if (!memberShape || !weight || weight.tensor.dims.length !== 2) return undefined;
      members.push({ weight, shape: memberShape });
    }
    return { members, axis, shape };
  }

  private int64Values(name: string | undefined): number[] | undefined {
    const tensor = name === undefined ? undefined : this.initializers.get(name);
    if (!tensor || tensor.dataType !== DataType.INT64) return undefined;
    if (tensor.int64Data) return tensor.int64Data.map(Number);
    // A copy: the bytes may be a Node Buffer view at an offset BigInt64Array cannot start at.
    const bytes = new Uint8Array(tensorBytes(tensor));
    return Array.from(new BigInt64Array(bytes.buffer), Number);
  }
}

function intAttr(node: OnnxNode, name: string): number | undefined {
  const attribute = node.attributes?.find((a) => a.name === name);
  return attribute?.type === 'int' ? attribute.value : undefined;
}

function intsAttr(node: OnnxNode, name: string): number[] | undefined {
  const attribute = node.attributes?.find((a) => a.name === name);
  return attribute?.type === 'ints' ? attribute.value : undefined;
}
