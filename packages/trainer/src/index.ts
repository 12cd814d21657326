export {
  appendBackward,
  elementTypes,
  gradientName,
  probeValueInfo,
  SUPPORTED_OPS,
  TrainingCancelledError,
  TrainingGraphError,
  TrainingOutOfMemoryError,
  type BackwardOptions,
  type ValueInfo,
} from './autodiff';
export { kohyaKey, writeKohyaLora, type TrainedLayer } from './artifact';
export { encodeArtworks, type Artwork, type EncodedArtwork } from './encode-artworks';
export { AdamW, clipGradients, learningRateAt, type AdamWOptions } from './optimizer';
export { buildTrainingGraph, type TrainingGraph, type TrainingGraphOptions } from './training-graph';
export { trainLora, type TrainedLora, type TrainLoraOptions, type TrainLoraProgress } from './train-lora';
export { noisedExample, type NoisedExample } from './objective';
export { DynamicLossScaler, type LossScaleReport, type LossScalerOptions, type Precision } from './precision';
