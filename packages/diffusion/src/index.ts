export * from './onnx';
export * from './synthetic';
export * from './pipeline';
export { ClipTokenizer, CLIP_CONTEXT_LENGTH, type ClipTokenizerFiles } from './tokenizer/clip-tokenizer';
export {
  createScheduler,
  defaultSchedulerName,
  parseScheduleConfig,
  SCHEDULER_NAMES,
  SeededNoise,
  type NoiseScheduleConfig,
  type Scheduler,
  type SchedulerName,
} from './schedulers';
export { mergeLoraIntoModel, parseLora, readLoraFile, type LoraAdapter, type LoraLayer } from './lora';
export * from './worker';
