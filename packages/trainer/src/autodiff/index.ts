export { appendBackward, gradientName, SUPPORTED_OPS, type BackwardOptions } from './backward';
export { TrainingGraphError } from './errors';
export { elementTypes, probeValueInfo, type ValueInfo } from './value-info';
