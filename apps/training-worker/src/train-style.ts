import { join } from 'node:path';
import {
  prepareDataset,
  type ArtworkRecord,
  type LoadArtworkBytes,
  type PreparedDataset,
} from './dataset/prepare';
import type {
  JobTrainingOptions,
  TrainerEngine,
  TrainingPlan,
  TrainingProgress,
  TrainingResult,
  TrainOptions,
} from './engine/types';

export interface TrainStyleInput {
  readonly styleId: string;
  readonly styleName: string;
  readonly artworks: readonly ArtworkRecord[];
  readonly loadBytes: LoadArtworkBytes;
  readonly engine: TrainerEngine;
  /** A fresh scratch folder for this job; the caller removes it afterwards. */
  readonly workDir: string;
  readonly seed: number;
  readonly options?: JobTrainingOptions;
  readonly signal?: AbortSignal;
  readonly onProgress?: (progress: TrainingProgress) => void;
  readonly onSample?: TrainOptions['onSample'];
  readonly timeLimitMs?: number;
}

export interface TrainedStyle {
  readonly dataset: PreparedDataset;
  readonly plan: TrainingPlan;
  readonly result: TrainingResult;
}

/**
 * One training job without the transport: artworks → kohya dataset (`<workDir>/dataset`) → plan →
 * trained and validated adapter. Failures are JobFailures (LOW_QUALITY_DATA carries each artwork's
 * outcome; see LowQualityDataError); `dataset.results` lists the rejections to record on success.
 */
export async function trainStyle(input: TrainStyleInput): Promise<TrainedStyle> {
  const dataset = await prepareDataset({
    styleName: input.styleName,
    artworks: input.artworks,
    loadBytes: input.loadBytes,
    datasetDir: join(input.workDir, 'dataset'),
    signal: input.signal,
  });
  const plan = await input.engine.prepare({
    styleId: input.styleId,
    styleName: input.styleName,
    dataset: {
      imageDir: dataset.imageDir,
      token: dataset.token,
      numRepeats: dataset.numRepeats,
      imageCount: dataset.accepted.length,
    },
    workDir: input.workDir,
    seed: input.seed,
    options: input.options,
  });
  const result = await input.engine.train(plan, {
    signal: input.signal,
    onProgress: input.onProgress,
    onSample: input.onSample,
    timeLimitMs: input.timeLimitMs,
  });
  return { dataset, plan, result };
}
