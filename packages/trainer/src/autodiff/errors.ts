/**
 * A graph the trainer cannot differentiate or train: an op without a gradient rule, an attribute
 * a rule does not cover, a missing LoRA target. Raised while the training graph is built, never
 * half-way through training.
 */
export class TrainingGraphError extends Error {
  override readonly name = 'TrainingGraphError';
}
