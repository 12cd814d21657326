// Element types and concrete shapes of every value of a graph. Training graphs are built for
// one input size (a resolution bucket, a batch size), so the gradient rules work with static
// shapes: they come from one forward run that lists every intermediate value as an output.
import { DataType, encodeModel, type OnnxGraph, type OnnxModel } from '@stylelicense/diffusion';
import type * as Ort from 'onnxruntime-node';
import { TrainingGraphError } from './errors';

export interface ValueInfo {
  readonly types: ReadonlyMap<string, number>;
  readonly shapes: ReadonlyMap<string, readonly number[]>;
}

const INT_OUTPUT_OPS = new Set(['Shape', 'Size', 'ArgMax', 'ArgMin', 'NonZero']);
const BOOL_OUTPUT_OPS = new Set([
  'Equal',
  'Greater',
  'Less',
  'GreaterOrEqual',
  'LessOrEqual',
  'Not',
  'And',
  'Or',
]);

/** Element types by propagation: every op here keeps its first input's type unless it says otherwise. */
export function elementTypes(graph: OnnxGraph): Map<string, number> {
  const types = new Map<string, number>();
  for (const t of graph.initializers) types.set(t.name, t.dataType);
  for (const v of graph.inputs) if (v.elemType !== undefined) types.set(v.name, v.elemType);
  for (const node of graph.nodes) {
    const attr = (name: string) => node.attributes?.find((a) => a.name === name);
    let type: number | undefined;
    if (INT_OUTPUT_OPS.has(node.opType)) type = DataType.INT64;
    else if (BOOL_OUTPUT_OPS.has(node.opType)) type = DataType.BOOL;
    else if (node.opType === 'Cast') {
      const to = attr('to');
      type = to?.type === 'int' ? to.value : undefined;
    } else if (node.opType === 'Constant' || node.opType === 'ConstantOfShape') {
      const value = attr('value');
      type = value?.type === 'tensor' ? value.value.dataType : DataType.FLOAT;
    } else if (node.opType === 'Where') type = types.get(node.inputs[1]!);
    else type = types.get(node.inputs[0]!);
    if (type === undefined)
      throw new TrainingGraphError(`cannot tell the element type of ${node.opType} node ${node.name ?? ''}`);
    for (const output of node.outputs) if (output !== '') types.set(output, type);
  }
  return types;
}

/** Runs the graph once on `feeds` with every value as an output and records the shapes. */
export async function probeValueInfo(
  ort: typeof Ort,
  model: OnnxModel,
  feeds: Record<string, Ort.Tensor>,
): Promise<ValueInfo> {
  const types = elementTypes(model.graph);
  const listed = new Set(model.graph.outputs.map((o) => o.name));
  const extra = model.graph.nodes
    .flatMap((n) => n.outputs)
    .filter((name) => name !== '' && !listed.has(name))
    .map((name) => ({ name, elemType: types.get(name)! }));
  const probe: OnnxModel = {
    ...model,
    graph: { ...model.graph, outputs: [...model.graph.outputs, ...extra] },
  };
  const session = await ort.InferenceSession.create(encodeModel(probe), {
    graphOptimizationLevel: 'disabled',
    logSeverityLevel: 3,
  });
  try {
    const results = await session.run(feeds);
    const shapes = new Map<string, readonly number[]>();
    for (const [name, tensor] of Object.entries(results)) shapes.set(name, tensor.dims);
    for (const [name, tensor] of Object.entries(feeds)) shapes.set(name, tensor.dims);
    for (const t of model.graph.initializers) shapes.set(t.name, t.dims);
    return { types, shapes };
  } finally {
    await session.release();
  }
}
