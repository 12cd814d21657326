export type { InferenceWorkerConfig, WorkerLog } from './config';
export { demoLoraMaker, embeddedDemoLoraMaker, type DemoLoraContext, type DemoLoraMaker } from './demo-lora';
export { startEmbeddedWorker, type EmbeddedWorkerContext } from './embedded';
export { embeddedWorkerConfig, loadSettings, TINY_MODEL_STEPS, type ProcessSettings } from './env';
export { classifyFailure } from './failures';
export { startHealthServer } from './health';
export { resolveModelDir } from './model';
export { PROGRESS_MILESTONES, ProgressMilestones } from './progress';
export { artistIdOf, promptFor } from './prompt';
export { createGenerationReporter, type GenerationReporter, type ReporterOptions } from './reporter';
export {
  startInferenceWorker,
  type InferenceWorker,
  type InferenceWorkerHealth,
  type StartInferenceWorkerOptions,
} from './start';
export { LoraCache, SignatureCache, type LoraFile, type SignatureImage } from './style-inputs';
export {
  createGenerationHandler,
  HandedBack,
  type GenerationHandlerDeps,
  type GenerationOutcome,
  type JobTimings,
} from './worker';
