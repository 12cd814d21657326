import { z } from 'zod';
import { aspectRatioSchema, ASPECT_RATIOS, licenseTypeSchema } from '../enums';
import { attemptSchema, idSchema, storageKeySchema, timestampSchema, versioned } from './envelope';

const tagSchema = z.string().min(1).max(100);

export const trainingArtworkSchema = z.object({
  artworkId: idSchema,
  imageKey: storageKeySchema,
  caption: z.string().max(1000).nullable(),
  tags: z.array(tagSchema).max(50),
});

/** Published to `jobs.training` when a style is created (through the outbox). */
export const trainingJobSchema = versioned({
  jobId: idSchema,
  styleId: idSchema,
  artistId: idSchema,
  styleName: z.string().min(1).max(100),
  styleTags: z.array(tagSchema).max(50),
  artworks: z.array(trainingArtworkSchema).min(1).max(100),
  // Trainer knobs the API may pin per style; the worker's engine defaults fill the rest.
  options: z
    .object({
      baseModel: z.string().min(1).max(200).optional(),
      rank: z.int().min(1).max(256).optional(),
      learningRate: z.number().positive().max(1).optional(),
      maxSteps: z.int().min(1).max(100_000).optional(),
      resolution: z.int().min(256).max(2048).optional(),
      seed: z
        .int()
        .min(0)
        .max(2 ** 32 - 1)
        .optional(),
    })
    .default({}),
  attempt: attemptSchema,
  requestedAt: timestampSchema,
});
export type TrainingJob = z.output<typeof trainingJobSchema>;
export type TrainingJobInput = z.input<typeof trainingJobSchema>;

/** Published to `jobs.generation` when a generation is submitted or retried. */
export const generationJobSchema = versioned({
  generationId: idSchema,
  styleId: idSchema,
  userId: idSchema,
  loraModelKey: storageKeySchema,
  promptTags: z.array(tagSchema).min(1).max(50),
  description: z.string().max(2000).nullable(),
  aspectRatio: aspectRatioSchema,
  width: z.int().positive(),
  height: z.int().positive(),
  seed: z
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  steps: z.int().min(1).max(150),
  guidance: z.number().min(0).max(30),
  attempt: attemptSchema,
  signatureKey: storageKeySchema,
  artistName: z.string().min(1).max(100),
  styleName: z.string().min(1).max(100),
  licenseType: licenseTypeSchema,
  requestedAt: timestampSchema,
}).refine(
  (job) =>
    ASPECT_RATIOS[job.aspectRatio].width === job.width &&
    ASPECT_RATIOS[job.aspectRatio].height === job.height,
  { message: 'width/height must match the aspect ratio', path: ['width'] },
);
export type GenerationJob = z.output<typeof generationJobSchema>;
export type GenerationJobInput = z.input<typeof generationJobSchema>;
