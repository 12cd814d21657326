// Gives every LoRA-targetable projection of a UNet or text encoder graph its own low-rank path
// fed by graph inputs, y = x·W + s·(x·A)·B, so one session serves every style (and a batch of
// different styles, since A, B and s carry the batch dimension).
import type { DataTypeValue, OnnxDim, OnnxModel, OnnxNode } from '../onnx';
import { DiffusionError } from '../pipeline/errors';
import { isConv, Rewriter, type Weight } from './rewriter';

/** Modules diffusers / PEFT LoRA trainers target in SD 1.x UNets and CLIP text encoders. */
export const DEFAULT_LORA_TARGETS: readonly RegExp[] = [
  /\.attn[12]\.(to_q|to_k|to_v|to_out\.0)$/,
  /\.ff\.net\.(0\.proj|2)$/,
  /\.attentions\.\d+\.proj_(in|out)$/,
  // kohya LoCon files (and the ONNX trainer) also adapt the resnets' 1×1 shortcut convolutions.
  /\.resnets\.\d+\.conv_shortcut$/,
  /\.self_attn\.(q_proj|k_proj|v_proj|out_proj)$/,
  /\.mlp\.fc[12]$/,
];

export interface RuntimeLoraOptions {
  /** Factors are zero-padded to this rank; LoRAs of a higher rank do not fit. */
  maxRank: number;
  /** Module paths to target: a RegExp, or a string the path ends with (at a `.`). Default DEFAULT_LORA_TARGETS. */
  targets?: readonly (string | RegExp)[];
}

export interface RuntimeLoraInputSpec {
  name: string;
  /** [batch, in, maxRank] for A, [batch, maxRank, out] for B; the batch dim is symbolic. */
  dims: OnnxDim[];
}

/** One projection that received a low-rank path. */
export interface RuntimeLoraTarget {
  /** diffusers module path, e.g. `down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q` */
  target: string;
  /** `linear`: activations [batch, tokens, in]; `conv1x1`: a 1×1 convolution (NCHW, or NHWC when fused). */
  kind: 'linear' | 'conv1x1';
  in: number;
  out: number;
  a: RuntimeLoraInputSpec;
  b: RuntimeLoraInputSpec;
  /** The base weight's initializer. */
  weight: string;
}

export interface RuntimeLoraModel {
  model: OnnxModel;
  targets: RuntimeLoraTarget[];
  /** Per-item scale input [batch]: the style's strength, 0 for an item without a style. */
  scale: RuntimeLoraInputSpec;
  maxRank: number;
  /** Element type of the factor and scale inputs (the model's float type). */
  dataType: DataTypeValue;
}

export const LORA_SCALE_INPUT = 'lora_scale';
export const loraInputNames = (target: string): { a: string; b: string } => ({
  a: `lora_a.${target}`,
  b: `lora_b.${target}`,
});

/** Returns a new model (initializers shared, not copied) with the low-rank inputs added. */
export function addRuntimeLoraInputs(model: OnnxModel, options: RuntimeLoraOptions): RuntimeLoraModel {
  const { maxRank } = options;
  if (!Number.isInteger(maxRank) || maxRank < 1 || maxRank > 1024)
    throw new DiffusionError('INVALID_INPUT', `maxRank must be an integer from 1 to 1024, got ${maxRank}`);
  const wanted = targetMatcher(options.targets ?? DEFAULT_LORA_TARGETS);
  const graph = model.graph;
  const ctx = new Rewriter(model);
  const batchDim = symbolicBatch(model);
  const targets: RuntimeLoraTarget[] = [];
  const nodes: OnnxNode[] = [];
  let dataType: DataTypeValue | undefined;
  let scale3: string | undefined;
  const scaleOf = (elem: DataTypeValue): string => {
    if (dataType !== undefined && dataType !== elem)
      throw new DiffusionError('MODEL_INVALID', 'LoRA targets mix float types; one factor dtype is required');
    dataType = elem;
    scale3 ??= ctx.emit(nodes, 'Reshape', [LORA_SCALE_INPUT, ctx.ints([-1, 1, 1])]);
    return scale3;
  };
  // Low-rank delta of one target on 3-D activations [batch, tokens, in] → [batch, tokens, out].
  const delta = (x3: string, weight: Weight, inF: number, outF: number, kind: RuntimeLoraTarget['kind']) => {
    const names = loraInputNames(weight.path);
    const s = scaleOf(weight.dataType);
    targets.push({
      target: weight.path,
      kind,
      in: inF,
      out: outF,
      a: { name: names.a, dims: [batchDim, inF, maxRank] },
      b: { name: names.b, dims: [batchDim, maxRank, outF] },
      weight: weight.tensor.name,
    });
    const down = ctx.emit(nodes, 'Mul', [ctx.emit(nodes, 'MatMul', [x3, names.a]), s]);
    return ctx.emit(nodes, 'MatMul', [down, names.b]);
  };

  // Shallow copies: renaming a projection's output must not change the caller's model.
  for (const node of graph.nodes.map((n) => ({ ...n }))) {
    const domain = node.domain ?? '';
    const x = node.inputs[0];
    const y = node.outputs[0];
    let deltaOut: string | undefined;
    if (x && y && node.opType === 'MatMul' && domain === '') {
      const weight = ctx.weight(node.inputs[1]);
      if (weight && wanted(weight.path) && weight.tensor.dims.length === 2) {
        const [inF, outF] = ctx.linearDims(weight, node.inputs[1]!);
        deltaOut = delta(x, weight, inF, outF, 'linear');
      } else if (!weight) {
        const packed = ctx.packed(node.inputs[1]);
        if (packed && packed.members.every((m) => wanted(m.weight.path))) {
          // Fused attention: Q/K/V weights packed per head; pack the deltas the same way.
          const parts = packed.members.map((m) =>
            ctx.emit(nodes, 'Reshape', [
              delta(x, m.weight, m.weight.tensor.dims[0]!, m.weight.tensor.dims[1]!, 'linear'),
              ctx.ints([0, 0, ...m.shape.slice(1)]),
            ]),
          );
          const joined = ctx.emit(nodes, 'Concat', parts, { axis: packed.axis + 1 });
          deltaOut = ctx.emit(nodes, 'Reshape', [joined, ctx.ints([0, 0, ...packed.shape.slice(1)])]);
        }
      }
    } else if (x && y && isConv(node) && ctx.is1x1(node)) {
      const weight = ctx.weight(node.inputs[1]);
      if (weight && wanted(weight.path)) {
        // A 1×1 convolution is a Linear over the channels of every pixel: run it on [batch, pixels, in].
        const [outF, inF] = weight.tensor.dims as [number, number];
        const nhwc = node.opType === 'NhwcConv';
        const tokens = nhwc
          ? ctx.emit(nodes, 'Reshape', [x, ctx.ints([0, -1, inF])])
          : ctx.emit(nodes, 'Transpose', [ctx.emit(nodes, 'Reshape', [x, ctx.ints([0, inF, -1])])], {
              perm: [0, 2, 1],
            });
        const d = delta(tokens, weight, inF, outF, 'conv1x1');
        const pixels = nhwc ? d : ctx.emit(nodes, 'Transpose', [d], { perm: [0, 2, 1] });
        const base = ctx.renameOutput(node);
        nodes.push(node);
        const shaped = ctx.emit(nodes, 'Reshape', [pixels, ctx.emit(nodes, 'Shape', [base])]);
        nodes.push({ opType: 'Add', inputs: [base, shaped], outputs: [y], name: ctx.fresh('lora_add') });
        continue;
      }
    }
    if (deltaOut === undefined) {
      nodes.push(node);
      continue;
    }
    const base = ctx.renameOutput(node);
    nodes.push(node);
    nodes.push({ opType: 'Add', inputs: [base, deltaOut], outputs: [y!], name: ctx.fresh('lora_add') });
  }
  if (targets.length === 0 || dataType === undefined)
    throw new DiffusionError('MODEL_INVALID', 'the model has no projection a LoRA can target');
  const elem = dataType;
  const inputs = [...graph.inputs];
  for (const t of targets) {
    inputs.push({ name: t.a.name, elemType: elem, shape: t.a.dims });
    inputs.push({ name: t.b.name, elemType: elem, shape: t.b.dims });
  }
  inputs.push({ name: LORA_SCALE_INPUT, elemType: elem, shape: [batchDim] });
  return {
    model: {
      ...model,
      graph: { ...graph, nodes, inputs, initializers: [...graph.initializers, ...ctx.constants] },
    },
    targets,
    scale: { name: LORA_SCALE_INPUT, dims: [batchDim] },
    maxRank,
    dataType: elem,
  };
}

function targetMatcher(targets: readonly (string | RegExp)[]): (path: string) => boolean {
  return (path) =>
    targets.some((t) => (typeof t === 'string' ? path === t || path.endsWith(`.${t}`) : t.test(path)));
}

function symbolicBatch(model: OnnxModel): OnnxDim {
  const first = model.graph.inputs[0]?.shape?.[0];
  return typeof first === 'string' ? first : 'batch_size';
}
