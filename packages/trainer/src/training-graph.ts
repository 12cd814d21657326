// The training graph: the UNet with runtime LoRA inputs (the inference graph's own rewrite), the
// diffusion loss appended, and the backward pass to the LoRA factors only. One ONNX Runtime
// session runs it: feeds in, loss and factor gradients out.
import {
  addRuntimeLoraInputs,
  DataType,
  encodeModel,
  type Ort,
  type OnnxModel,
  type RuntimeLoraTarget,
} from '@stylelicense/diffusion';
import type { Tensor } from 'onnxruntime-node';
import { appendBackward, gradientName, probeValueInfo, TrainingGraphError } from './autodiff';
import { floatFeed, type Precision } from './precision';

export const TARGET_INPUT = 'training_target';
export const LOSS_WEIGHT_INPUT = 'training_loss_weight';
export const LOSS_OUTPUT = 'training_loss';
/** The loss is multiplied by this before the backward pass (1 in fp32; see precision.ts). */
export const LOSS_SCALE_INPUT = 'training_loss_scale';
const SCALED_LOSS = 'loss/scaled';

export interface TrainingGraphOptions {
  rank: number;
  /** Module paths to train (default: the runtime rewrite's targets). */
  targets?: readonly (string | RegExp)[];
  batch: number;
  latentChannels: number;
  latentHeight: number;
  latentWidth: number;
  /** Text embeddings [tokens, dim] per item. */
  tokens: number;
  contextDim: number;
}

export interface TrainingGraph {
  /** The encoded graph, ready for InferenceSession.create. */
  bytes: Uint8Array;
  targets: RuntimeLoraTarget[];
  scaleInput: string;
  /** fp16 for an fp16 UNet: its float inputs (latents, context, LoRA factors) and gradients are fp16. */
  precision: Precision;
  options: TrainingGraphOptions;
}

/**
 * Loss = mean over the batch of w_i · mean((ε̂_i − target_i)²): the caller feeds the target
 * (ε, or v for v-prediction) and the per-item weight (1, or the min-SNR weight). The loss is fp32
 * whatever the UNet's precision; the backward pass starts from loss × the fed loss scale.
 */
function appendLoss(
  model: OnnxModel,
  output: string,
  precision: Precision,
  batch: number,
  shape: number[],
): void {
  const graph = model.graph;
  const node = (
    opType: string,
    inputs: string[],
    output: string,
    attributes: OnnxModel['graph']['nodes'][number]['attributes'] = [],
  ) => graph.nodes.push({ opType, inputs, outputs: [output], name: `loss/${output}`, attributes });
  graph.inputs.push({ name: TARGET_INPUT, elemType: DataType.FLOAT, shape });
  graph.inputs.push({ name: LOSS_WEIGHT_INPUT, elemType: DataType.FLOAT, shape: [batch] });
  graph.inputs.push({ name: LOSS_SCALE_INPUT, elemType: DataType.FLOAT, shape: [] });
  let prediction = output;
  if (precision === 'fp16') {
    node('Cast', [output], 'loss/prediction_fp32', [{ name: 'to', type: 'int', value: DataType.FLOAT }]);
    prediction = 'loss/prediction_fp32';
  }
  node('Sub', [prediction, TARGET_INPUT], 'loss/diff');
  node('Mul', ['loss/diff', 'loss/diff'], 'loss/squared');
  node('ReduceMean', ['loss/squared'], 'loss/per_item', [
    { name: 'axes', type: 'ints', value: [1, 2, 3] },
    { name: 'keepdims', type: 'int', value: 0 },
  ]);
  node('Mul', ['loss/per_item', LOSS_WEIGHT_INPUT], 'loss/weighted');
  node('ReduceMean', ['loss/weighted'], LOSS_OUTPUT, [{ name: 'keepdims', type: 'int', value: 0 }]);
  node('Mul', [LOSS_OUTPUT, LOSS_SCALE_INPUT], SCALED_LOSS);
}

/** Zero-filled feeds of the graph's shapes (for shape probing). */
function probeFeeds(ort: Ort, model: OnnxModel, options: TrainingGraphOptions): Record<string, Tensor> {
  const o = options;
  const dims: Record<string, number[]> = {
    sample: [o.batch, o.latentChannels, o.latentHeight, o.latentWidth],
    encoder_hidden_states: [o.batch, o.tokens, o.contextDim],
    [TARGET_INPUT]: [o.batch, o.latentChannels, o.latentHeight, o.latentWidth],
    [LOSS_WEIGHT_INPUT]: [o.batch],
  };
  const feeds: Record<string, Tensor> = {};
  for (const input of model.graph.inputs) {
    if (input.name === 'timestep') {
      feeds.timestep = new ort.Tensor('int64', new BigInt64Array(o.batch), [o.batch]);
      continue;
    }
    const shape = dims[input.name] ?? input.shape?.map((d) => (typeof d === 'number' ? d : o.batch));
    if (!shape) throw new TrainingGraphError(`no shape for UNet input ${input.name}`);
    const count = shape.reduce((n, d) => n * d, 1);
    // Small non-zero values: a zero LoRA factor would still give the right shapes, but the probe
    // should run the same kernels as training.
    const half = input.elemType === DataType.FLOAT16 ? 'fp16' : 'fp32';
    feeds[input.name] = floatFeed(ort, new Float32Array(count).fill(0.01), shape, half);
  }
  return feeds;
}

/** Builds the forward + backward graph of a plain-form fp32 or fp16 UNet for one batch and latent size. */
export async function buildTrainingGraph(
  ort: Ort,
  unet: OnnxModel,
  options: TrainingGraphOptions,
): Promise<TrainingGraph> {
  const rewritten = addRuntimeLoraInputs(unet, { maxRank: options.rank, targets: options.targets });
  const precision: Precision | undefined =
    rewritten.dataType === DataType.FLOAT
      ? 'fp32'
      : rewritten.dataType === DataType.FLOAT16
        ? 'fp16'
        : undefined;
  if (!precision) throw new TrainingGraphError('training needs an fp32 or fp16 UNet');
  const model = rewritten.model;
  const prediction = model.graph.outputs[0]!.name;
  const latent = [options.batch, options.latentChannels, options.latentHeight, options.latentWidth];
  model.graph = {
    ...model.graph,
    nodes: [...model.graph.nodes],
    inputs: [...model.graph.inputs],
    initializers: [...model.graph.initializers],
  };
  appendLoss(model, prediction, precision, options.batch, latent);
  model.graph.outputs = [{ name: LOSS_OUTPUT, elemType: DataType.FLOAT, shape: [] }];

  const info = await probeValueInfo(ort, model, probeFeeds(ort, model, options));
  const wrt = rewritten.targets.flatMap((t) => [t.a.name, t.b.name]);
  appendBackward(model, { loss: SCALED_LOSS, wrt, info });
  return {
    bytes: encodeModel(model),
    targets: rewritten.targets,
    scaleInput: rewritten.scale.name,
    precision,
    options,
  };
}

export { gradientName };
