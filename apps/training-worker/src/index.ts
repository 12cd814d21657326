export { BASE_RESOLUTION, BUCKETS, pickBucket, type Bucket, type BucketName } from './dataset/buckets';
export { buildCaption, styleToken } from './dataset/caption';
export { isTrainableFormat, sniffImageFormat, type SniffedFormat } from './dataset/image-format';
export {
  LowQualityDataError,
  MAX_ARTWORK_BYTES,
  MIN_ARTWORK_SIDE,
  MIN_TRAINING_IMAGES,
  prepareDataset,
  type AcceptedArtwork,
  type ArtworkPreparation,
  type ArtworkRecord,
  type LoadArtworkBytes,
  type PreparedDataset,
  type PrepareDatasetOptions,
  type RejectedArtwork,
  type RejectionReason,
} from './dataset/prepare';
export {
  validateLoraArtifact,
  type LoraArtifactSummary,
  type LoraExpectation,
} from './artifact/validate-lora';
export {
  createKohyaEngine,
  DEFAULT_LORA_NETWORK,
  type KohyaEngine,
  type KohyaEngineOptions,
  type KohyaPlan,
} from './engine/kohya';
export { kohyaArguments, kohyaDatasetConfig, type KohyaArgumentsInput } from './engine/kohya-command';
export { LineSplitter, parseKohyaLine, type KohyaProgressReading } from './engine/kohya-progress';
export { createNoTrainerEngine, NO_TRAINER_ENGINE_MESSAGE } from './engine/none';
export {
  repeatsForImageCount,
  scheduleForImageCount,
  TRAINING_BATCH_SIZE,
  type TrainingSchedule,
} from './engine/schedule';
export {
  runTrainerProcess,
  type RunTrainerOptions,
  type TrainerCommand,
  type TrainerOutcome,
  type TrainerRun,
} from './engine/trainer-process';
export type {
  LoraNetworkSpec,
  TrainerEngine,
  TrainingJob,
  TrainingMetrics,
  TrainingPlan,
  TrainingProgress,
  TrainingResult,
  TrainOptions,
} from './engine/types';
export { trainStyle, type TrainedStyle, type TrainStyleInput } from './train-style';
export { leaseSecondsFor, type TrainerSettings, type TrainingWorkerConfig, type WorkerLog } from './config';
export { startEmbeddedWorker, type EmbeddedWorkerContext } from './embedded';
export { embeddedWorkerConfig, loadSettings, trainerEnvironment, type ProcessSettings } from './env';
export { classifyFailure, isRetriedForTraining } from './failures';
export { startHealthServer } from './health';
export { ProgressBeat, type ProgressBeatOptions } from './progress';
export { createTrainingReporter, type ReporterOptions, type TrainingReporter } from './reporter';
export {
  engineFor,
  startTrainingWorker,
  type StartTrainingWorkerOptions,
  type TrainingWorker,
  type TrainingWorkerHealth,
} from './start';
export { styleFileKeys, THUMBNAIL_SIZE } from './style-files';
export {
  createTrainingHandler,
  type TrainingHandlerDeps,
  type TrainingMetricsReport,
  type TrainingOutcome,
} from './worker';
