// Reverse-mode differentiation of an ONNX graph, emitted as more ONNX nodes in the same graph:
// one session then runs forward and backward together. Only the nodes between the requested
// inputs and the loss are differentiated, so frozen weights cost no gradient work.
import { DataType, tensorBytes, type OnnxModel, type OnnxNode } from '@stylelicense/diffusion';
import { Emitter } from './emitter';
import { TrainingGraphError } from './errors';
import type { GradientRule, RuleContext } from './rule';
import { failFor } from './rule';
import { elementwiseRules } from './rules-elementwise';
import { nnRules } from './rules-nn';
import { shapeRules } from './rules-shape';
import type { ValueInfo } from './value-info';

const RULES: Record<string, GradientRule> = { ...elementwiseRules, ...shapeRules, ...nnRules };
const FLOAT_TYPES = new Set<number>([DataType.FLOAT, DataType.DOUBLE, DataType.FLOAT16]);

export const SUPPORTED_OPS: readonly string[] = Object.keys(RULES).sort();

export interface BackwardOptions {
  /** A scalar value of the graph. */
  readonly loss: string;
  /** Graph inputs (or initializers) to differentiate with respect to. */
  readonly wrt: readonly string[];
  readonly info: ValueInfo;
}

/** The graph output holding the gradient of `name`. */
export function gradientName(name: string): string {
  return `grad.${name}`;
}

/**
 * Appends the gradient of `loss` with respect to each of `wrt` to `model` (in place), as graph
 * outputs named `gradientName(w)`. Throws TrainingGraphError listing every op on the path that has
 * no gradient rule before emitting anything.
 */
export function appendBackward(model: OnnxModel, options: BackwardOptions): void {
  const graph = model.graph;
  const { shapes } = options.info;
  // Gradients have their value's type; rules ask for the type of either.
  const types = new Map(options.info.types);
  const isFloat = (v: string) => FLOAT_TYPES.has(types.get(v) ?? -1);

  const requiresGrad = new Set(options.wrt);
  for (const node of graph.nodes)
    if (node.inputs.some((i) => requiresGrad.has(i)))
      for (const o of node.outputs) if (o !== '' && isFloat(o)) requiresGrad.add(o);
  const reachesLoss = new Set([options.loss]);
  for (let i = graph.nodes.length - 1; i >= 0; i--) {
    const node = graph.nodes[i]!;
    if (node.outputs.some((o) => reachesLoss.has(o))) for (const input of node.inputs) reachesLoss.add(input);
  }
  const onPath = (v: string) => requiresGrad.has(v) && reachesLoss.has(v);
  const active = graph.nodes.filter((n) => n.outputs.some(onPath) && n.inputs.some(onPath));

  const unsupported = new Set(
    active
      .filter((n) => (n.domain ?? '') !== '' || !RULES[n.opType])
      .map((n) => (n.domain ? `${n.domain}.${n.opType}` : n.opType)),
  );
  if (unsupported.size > 0)
    throw new TrainingGraphError(
      `no gradient rule for op(s) on the training path: ${[...unsupported].join(', ')}`,
    );
  if (!requiresGrad.has(options.loss))
    throw new TrainingGraphError(`the loss ${options.loss} does not depend on the trained inputs`);

  const e = new Emitter(graph);
  const pending = new Map<string, string[]>();
  const total = new Map<string, string>();
  const gradOf = (v: string): string | undefined => {
    const known = total.get(v);
    if (known) return known;
    const parts = pending.get(v);
    if (!parts) return undefined;
    const sum = parts.length === 1 ? parts[0]! : e.op('Sum', parts);
    types.set(sum, types.get(v)!);
    total.set(v, sum);
    return sum;
  };
  const lossType = types.get(options.loss)!;
  pending.set(options.loss, [e.constant(lossType, [...shapes.get(options.loss)!], [1])]);

  const initializers = new Map(graph.initializers.map((t) => [t.name, t]));
  for (let i = active.length - 1; i >= 0; i--) {
    const node = active[i]!;
    const dy = node.outputs.map((o) => (onPath(o) ? gradOf(o) : undefined));
    if (dy.every((g) => g === undefined)) continue;
    const context = ruleContext(node, e, dy, node.inputs.map(onPath), { types, shapes }, initializers);
    const grads = RULES[node.opType]!(context);
    node.inputs.forEach((input, k) => {
      const g = grads[k];
      if (g === undefined || !onPath(input)) return;
      const list = pending.get(input) ?? [];
      list.push(g);
      pending.set(input, list);
      types.set(g, types.get(input)!);
    });
  }

  for (const w of options.wrt) {
    const shape = [...shapes.get(w)!];
    const type = types.get(w)!;
    const g = gradOf(w) ?? e.op('Expand', [e.scalar(0, type), e.ints(shape)]);
    graph.nodes.push({
      opType: 'Identity',
      inputs: [g],
      outputs: [gradientName(w)],
      name: e.fresh('Identity_node'),
    });
    graph.outputs.push({ name: gradientName(w), elemType: type, shape });
  }
}

function ruleContext(
  node: OnnxNode,
  e: Emitter,
  dy: (string | undefined)[],
  needs: boolean[],
  info: ValueInfo,
  initializers: Map<string, import('@stylelicense/diffusion').OnnxTensor>,
): RuleContext {
  const attr = (name: string) => node.attributes?.find((a) => a.name === name);
  const fail = (reason: string): never => failFor(node, reason);
  return {
    node,
    e,
    dy,
    needs,
    fail,
    shape: (v) => info.shapes.get(v) ?? fail(`no shape known for ${v}`),
    type: (v) => info.types.get(v) ?? fail(`no type known for ${v}`),
    constInts: (v) => {
      const t = initializers.get(v) ?? fail(`input ${v} must be a constant initializer`);
      if (t.int64Data) return t.int64Data.map(Number);
      const bytes = tensorBytes(t);
      const copy = new Uint8Array(bytes);
      return t.dataType === DataType.INT64
        ? Array.from(new BigInt64Array(copy.buffer), Number)
        : Array.from(new Int32Array(copy.buffer));
    },
    intAttr: (name, fallback) => {
      const a = attr(name);
      return a?.type === 'int' ? a.value : fallback;
    },
    intsAttr: (name) => {
      const a = attr(name);
      return a?.type === 'ints' ? a.value : undefined;
    },
    floatAttr: (name, fallback) => {
      const a = attr(name);
      return a?.type === 'float' ? a.value : fallback;
    },
    stringAttr: (name, fallback) => {
      const a = attr(name);
      return a?.type === 'string' ? a.value : fallback;
    },
  };
}
