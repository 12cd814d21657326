export { DiffusionEngine, type DiffusionEngineOptions, type EngineCacheCounts } from './engine';
export { DiffusionError, isDiffusionError, type DiffusionErrorCode } from './errors';
export {
  consoleLogger,
  createSession,
  silentLogger,
  describeProvider,
  type DiffusionLogger,
  type ExecutionProviderConfig,
} from './execution-provider';
export { openModelFolder, type ModelFolder } from './model-folder';
export { checkImageSize } from './sizes';
export type { GenerateHooks, GenerateRequest, GeneratedImage, GenerationProgress } from './requests';
