import { z } from 'zod';
import { timestampSchema } from './envelope';

const percentSchema = z.number().min(0).max(100);
const etaSchema = z.number().min(0).nullable();

/** Shown to the style's owner while training; the worker reports at least every 30 s. */
export const trainingProgressSchema = z.object({
  epoch: z.int().min(0).nullable(),
  totalEpochs: z.int().min(1).nullable(),
  step: z.int().min(0),
  totalSteps: z.int().min(1),
  percent: percentSchema,
  etaSeconds: etaSchema,
  loss: z.number().nullable(),
  updatedAt: timestampSchema,
});
export type TrainingProgress = z.output<typeof trainingProgressSchema>;

export const generationProgressSchema = z.object({
  step: z.int().min(0),
  totalSteps: z.int().min(1),
  percent: percentSchema,
  etaSeconds: etaSchema,
});
export type GenerationProgress = z.output<typeof generationProgressSchema>;

/** Percent rounded to one decimal, clamped to 0–100. */
export function percentOf(step: number, total: number): number {
  if (total <= 0) return 0;
  return Math.min(100, Math.max(0, Math.round((step / total) * 1000) / 10));
}
