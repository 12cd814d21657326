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

export const TARGET_INPUT = 'training_target';
export const LOSS_WEIGHT_INPUT = 'training_loss_weight';
export const LOSS_OUTPUT = 'training_loss';

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
  options: TrainingGraphOptions;
}

/**
 * Loss = mean over the batch of w_i · mean((ε̂_i − target_i)²): the caller feeds the target
 * (ε, or v for v-prediction) and the per-item weight (1, or the min-SNR weight).
 */
function appendLoss(model: OnnxModel, prediction: string, batch: number, shape: number[]): void {
  const graph = model.graph;
  const node = (
    opType: string,
    inputs: string[],
    output: string,
    attributes: OnnxModel['graph']['nodes'][number]['attributes'] = [],
  ) => graph.nodes.push({ opType, inputs, outputs: [output], name: `loss/${output}`, attributes });
  graph.inputs.push({ name: TARGET_INPUT, elemType: DataType.FLOAT, shape });
  graph.inputs.push({ name: LOSS_WEIGHT_INPUT, elemType: DataType.FLOAT, shape: [batch] });
  node('Sub', [prediction, TARGET_INPUT], 'loss/diff');
  node('Mul', ['loss/diff', 'loss/diff'], 'loss/squared');
  node('ReduceMean', ['loss/squared'], 'loss/per_item', [
    { name: 'axes', type: 'ints', value: [1, 2, 3] },
    { name: 'keepdims', type: 'int', value: 0 },
  ]);
  node('Mul', ['loss/per_item', LOSS_WEIGHT_INPUT], 'loss/weighted');
  node('ReduceMean', ['loss/weighted'], LOSS_OUTPUT, [{ name: 'keepdims', type: 'int', value: 0 }]);
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
    feeds[input.name] = new ort.Tensor('float32', new Float32Array(count).fill(0.01), shape);
  }
  return feeds;
}

/** Builds the forward + backward graph of a plain-form fp32 UNet for one batch and latent size. */
export async function buildTrainingGraph(
  ort: Ort,
  unet: OnnxModel,
  options: TrainingGraphOptions,
): Promise<TrainingGraph> {
  const rewritten = addRuntimeLoraInputs(unet, { maxRank: options.rank, targets: options.targets });
  if (rewritten.dataType !== DataType.FLOAT)
    throw new TrainingGraphError('training needs the fp32 UNet (fp16 training is not built)');
  const model = rewritten.model;
  const prediction = model.graph.outputs[0]!.name;
  const latent = [options.batch, options.latentChannels, options.latentHeight, options.latentWidth];
  model.graph = {
    ...model.graph,
    nodes: [...model.graph.nodes],
    inputs: [...model.graph.inputs],
    initializers: [...model.graph.initializers],
  };
  appendLoss(model, prediction, options.batch, latent);
  model.graph.outputs = [{ name: LOSS_OUTPUT, elemType: DataType.FLOAT, shape: [] }];

  const info = await probeValueInfo(ort, model, probeFeeds(ort, model, options));
  const wrt = rewritten.targets.flatMap((t) => [t.a.name, t.b.name]);
  appendBackward(model, { loss: LOSS_OUTPUT, wrt, info });
  return { bytes: encodeModel(model), targets: rewritten.targets, scaleInput: rewritten.scale.name, options };
}

export { gradientName };
