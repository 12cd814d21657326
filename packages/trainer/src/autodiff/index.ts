export { appendBackward, gradientName, SUPPORTED_OPS, type BackwardOptions } from './backward';
export { TrainingCancelledError, TrainingGraphError, TrainingOutOfMemoryError } from './errors';
export { elementTypes, probeValueInfo, type ValueInfo } from './value-info';
