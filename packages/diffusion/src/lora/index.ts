export { parseLora, readLoraFile, type LoraAdapter, type LoraComponent, type LoraLayer } from './lora-file';
export { buildWeightIndex, type WeightIndex, type WeightTarget } from './weight-index';
export { applyDelta, findTarget, mergeLoraIntoModel, readExternalData, type SessionSource } from './merge';
