export {
  addRuntimeLoraInputs,
  DEFAULT_LORA_TARGETS,
  LORA_SCALE_INPUT,
  loraInputNames,
  type RuntimeLoraInputSpec,
  type RuntimeLoraModel,
  type RuntimeLoraOptions,
  type RuntimeLoraTarget,
} from './rewrite';
export {
  loraFeeds,
  packStyleFactors,
  type LoraBatchItem,
  type RuntimeLoraLayout,
  type StyleFactors,
} from './factors';
