/**
 * How long a style trains, from its number of usable images (batch size 1, so every number
 * below is exact and matches what sd-scripts computes):
 *
 *   numRepeats    = clamp(ceil(200 / images), 1, 20)   each epoch shows ~200 samples
 *   stepsPerEpoch = images × numRepeats
 *   maxTrainSteps = clamp(100 × images, 1000, 3000)    ~100 steps per image, bounded
 *   epochs        = ceil(maxTrainSteps / stepsPerEpoch)  (sd-scripts stops at maxTrainSteps)
 *
 * 10 images: 20 repeats, 200 steps/epoch, 1000 steps, 5 epochs.
 * 100 images: 2 repeats, 200 steps/epoch, 3000 steps, 15 epochs.
 */
export interface TrainingSchedule {
  readonly imageCount: number;
  readonly batchSize: number;
  readonly numRepeats: number;
  readonly stepsPerEpoch: number;
  readonly maxTrainSteps: number;
  readonly epochs: number;
}

export const TRAINING_BATCH_SIZE = 1;

const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

export function repeatsForImageCount(imageCount: number): number {
  assertImageCount(imageCount);
  return clamp(Math.ceil(200 / imageCount), 1, 20);
}

export function scheduleForImageCount(
  imageCount: number,
  numRepeats = repeatsForImageCount(imageCount),
): TrainingSchedule {
  assertImageCount(imageCount);
  const stepsPerEpoch = Math.ceil((imageCount * numRepeats) / TRAINING_BATCH_SIZE);
  const maxTrainSteps = clamp(100 * imageCount, 1000, 3000);
  return {
    imageCount,
    batchSize: TRAINING_BATCH_SIZE,
    numRepeats,
    stepsPerEpoch,
    maxTrainSteps,
    epochs: Math.ceil(maxTrainSteps / stepsPerEpoch),
  };
}

function assertImageCount(imageCount: number): void {
  if (!Number.isSafeInteger(imageCount) || imageCount < 1) {
    throw new RangeError(`image count must be a positive integer, got ${imageCount}`);
  }
}
