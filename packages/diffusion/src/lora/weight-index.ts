import type { OnnxModel, OnnxNode, OnnxTensor } from '../onnx';

/**
 * Where a PyTorch module's weight lives in an exported ONNX graph.
 * `in-out`: a Linear exported as MatMul keeps Wᵀ ([in, out]); `out-in`: PyTorch's own layout
 * (Gemm with transB=1, Conv [out, in, kh, kw]).
 */
export interface WeightTarget {
  initializer: OnnxTensor;
  layout: 'in-out' | 'out-in';
}

export interface WeightIndex {
  /** diffusers module path → target */
  byPath: Map<string, WeightTarget>;
  /** module path with `.` → `_` (kohya's spelling) → module path */
  byUnderscored: Map<string, string>;
}

const WEIGHT_OPS = new Set(['MatMul', 'Gemm', 'Conv']);
// Nodes a weight may pass through on its way to the MatMul/Conv without changing meaning.
const PASS_THROUGH = new Set(['Cast', 'Identity']);

/**
 * Indexes every MatMul/Gemm/Conv whose weight is an initializer, by module path. The path
 * comes from the initializer's name (`….to_q.weight`, how the synthetic builder and many
 * exporters name weights) and from torch.onnx's node names (`/down_blocks.0/…/to_q/MatMul`),
 * which still carry the module path when the weight itself is an anonymous `onnx::MatMul_123`.
 */
export function buildWeightIndex(model: OnnxModel): WeightIndex {
  const initializers = new Map(model.graph.initializers.map((t) => [t.name, t]));
  const producers = new Map<string, OnnxNode>();
  for (const node of model.graph.nodes) for (const output of node.outputs) producers.set(output, node);

  const byPath = new Map<string, WeightTarget>();
  for (const node of model.graph.nodes) {
    if (!WEIGHT_OPS.has(node.opType) || (node.domain ?? '') !== '') continue;
    const resolved = resolveWeight(node.inputs[1], initializers, producers);
    if (!resolved) continue;
    let layout: WeightTarget['layout'] = node.opType === 'MatMul' ? 'in-out' : 'out-in';
    if (node.opType === 'Gemm' && intAttribute(node, 'transB') !== 1) layout = 'in-out';
    if (resolved.transposed) layout = layout === 'in-out' ? 'out-in' : 'in-out';
    const target: WeightTarget = { initializer: resolved.tensor, layout };
    for (const path of modulePaths(resolved.tensor.name, node.name))
      if (!byPath.has(path)) byPath.set(path, target);
  }
  // Weights reaching their MatMul/Conv through other nodes (Q/K/V packing by Concat, NHWC
  // transposes in ORT-fused graphs) keep their PyTorch names and the export convention:
  // 2-D Linear weights [in, out], 4-D conv weights [out, in, kh, kw].
  for (const tensor of model.graph.initializers) {
    const [path] = modulePaths(tensor.name, undefined);
    if (path === undefined || byPath.has(path)) continue;
    if (tensor.dims.length === 2) byPath.set(path, { initializer: tensor, layout: 'in-out' });
    else if (tensor.dims.length === 4) byPath.set(path, { initializer: tensor, layout: 'out-in' });
  }
  const byUnderscored = new Map<string, string>();
  for (const path of byPath.keys()) byUnderscored.set(path.replaceAll('.', '_'), path);
  return { byPath, byUnderscored };
}

function resolveWeight(
  name: string | undefined,
  initializers: Map<string, OnnxTensor>,
  producers: Map<string, OnnxNode>,
): { tensor: OnnxTensor; transposed: boolean } | undefined {
  let transposed = false;
  for (let hops = 0; name !== undefined && hops < 4; hops++) {
    const tensor = initializers.get(name);
    if (tensor) return { tensor, transposed };
    const producer = producers.get(name);
    if (!producer) return undefined;
    if (producer.opType === 'Transpose') {
      const perm = producer.attributes?.find((a) => a.name === 'perm');
      if (perm && (perm.type !== 'ints' || perm.value.join(',') !== '1,0')) return undefined;
      transposed = !transposed;
    } else if (!PASS_THROUGH.has(producer.opType)) {
      return undefined;
    }
    name = producer.inputs[0];
  }
  return undefined;
}

export function modulePaths(initializerName: string, nodeName: string | undefined): string[] {
  const paths: string[] = [];
  if (initializerName.endsWith('.weight') && !initializerName.startsWith('onnx::')) {
    paths.push(initializerName.slice(0, -'.weight'.length));
  }
  if (nodeName?.startsWith('/')) {
    const parts = nodeName.slice(1).split('/');
    if (parts.length > 1) paths.push(parts.slice(0, -1).join('.'));
  }
  return paths;
}

function intAttribute(node: OnnxNode, name: string): number | undefined {
  const attribute = node.attributes?.find((a) => a.name === name);
  return attribute?.type === 'int' ? attribute.value : undefined;
}
