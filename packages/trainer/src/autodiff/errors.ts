/**
 * A graph the trainer cannot differentiate or train: an op without a gradient rule, an attribute
 * a rule does not cover, a missing LoRA target. Raised while the training graph is built, never
 * half-way through training.
 */
export class TrainingGraphError extends Error {
  override readonly name = 'TrainingGraphError';
}

/** Training stopped between steps because its signal was aborted. */
export class TrainingCancelledError extends Error {
  override readonly name = 'TrainingCancelledError';
}

/** ONNX Runtime could not allocate a step's memory (the engine reports GPU_OOM on GPU hosts). */
export class TrainingOutOfMemoryError extends Error {
  override readonly name = 'TrainingOutOfMemoryError';
}
