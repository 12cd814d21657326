import { z } from 'zod';
import { JOB_FAILURE_CODES, jobFailureCodeSchema, type JobFailureCode } from '../job-failures';
import { attemptSchema, idSchema, storageKeySchema, timestampSchema, versioned } from './envelope';
import { generationProgressSchema, trainingProgressSchema } from './progress';

// Bodies of the webhooks workers send to the API (see WEBHOOK_ROUTES).

export const jobFailureSchema = z.object({
  code: jobFailureCodeSchema,
  message: z.string().min(1).max(2000),
  retryable: z.boolean(),
  attempt: attemptSchema,
});
export type JobFailureReport = z.output<typeof jobFailureSchema>;

/** Builds a failure report whose `retryable` follows the code's classification. */
export function jobFailureReport(code: JobFailureCode, message: string, attempt: number): JobFailureReport {
  return {
    code,
    message: message.slice(0, 2000) || code,
    retryable: JOB_FAILURE_CODES[code].retryable,
    attempt,
  };
}

const rejectedArtworkSchema = z.object({ artworkId: idSchema, reason: z.string().min(1).max(500) });

/** Sent once the worker holds the job; starts the DB lease that progress reports renew. */
export const trainingStartedWebhookSchema = versioned({
  styleId: idSchema,
  jobId: idSchema,
  attempt: attemptSchema,
  workerId: z.string().min(1).max(200),
  leaseSeconds: z.int().min(30).max(3600),
  startedAt: timestampSchema,
});

/** The adapter as it stood at an epoch's end, drawn with the first caption and a fixed seed. */
export const trainingSampleSchema = z.object({
  epoch: z.int().min(1),
  imageKey: storageKeySchema,
  prompt: z.string().max(1000),
  seed: z
    .int()
    .min(0)
    .max(2 ** 32 - 1),
});
export type TrainingSample = z.output<typeof trainingSampleSchema>;

export const trainingProgressWebhookSchema = versioned({
  styleId: idSchema,
  jobId: idSchema,
  attempt: attemptSchema,
  progress: trainingProgressSchema,
  /** Present on the report sent when an epoch's sample image has been stored. */
  sample: trainingSampleSchema.optional(),
});

export const trainingMetricsSchema = z.object({
  finalLoss: z.number().nullable(),
  steps: z.int().min(0),
  durationSeconds: z.number().min(0),
});

export const trainingCompleteWebhookSchema = versioned({
  styleId: idSchema,
  jobId: idSchema,
  attempt: attemptSchema,
  modelKey: storageKeySchema,
  metrics: trainingMetricsSchema,
  thumbnailKey: storageKeySchema.nullable(),
  logKey: storageKeySchema.nullable(),
  rejectedArtworks: z.array(rejectedArtworkSchema).max(100),
});

export const trainingFailedWebhookSchema = versioned({
  styleId: idSchema,
  jobId: idSchema,
  failure: jobFailureSchema,
  logKey: storageKeySchema.nullable(),
  rejectedArtworks: z.array(rejectedArtworkSchema).max(100),
});

export const generationProgressWebhookSchema = versioned({
  generationId: idSchema,
  attempt: attemptSchema,
  progress: generationProgressSchema,
});

export const generationMetadataSchema = z.object({
  seed: z
    .int()
    .min(0)
    .max(2 ** 32 - 1),
  steps: z.int().min(1),
  guidance: z.number().min(0),
  width: z.int().positive(),
  height: z.int().positive(),
});

export const generationCompleteWebhookSchema = versioned({
  generationId: idSchema,
  attempt: attemptSchema,
  resultKey: storageKeySchema,
  metadata: generationMetadataSchema,
});

export const generationFailedWebhookSchema = versioned({
  generationId: idSchema,
  failure: jobFailureSchema,
});

export type TrainingStartedWebhook = z.output<typeof trainingStartedWebhookSchema>;
export type TrainingProgressWebhook = z.output<typeof trainingProgressWebhookSchema>;
export type TrainingCompleteWebhook = z.output<typeof trainingCompleteWebhookSchema>;
export type TrainingFailedWebhook = z.output<typeof trainingFailedWebhookSchema>;
export type GenerationProgressWebhook = z.output<typeof generationProgressWebhookSchema>;
export type GenerationCompleteWebhook = z.output<typeof generationCompleteWebhookSchema>;
export type GenerationFailedWebhook = z.output<typeof generationFailedWebhookSchema>;

export const WEBHOOK_SOURCES = ['training', 'inference', 'payment'] as const;
export type WebhookSource = (typeof WEBHOOK_SOURCES)[number];

/** Paths of the API's REST webhook adapter, one schema each. */
export const WEBHOOK_ROUTES = {
  trainingStarted: {
    path: '/api/webhooks/training/started',
    source: 'training',
    schema: trainingStartedWebhookSchema,
  },
  trainingProgress: {
    path: '/api/webhooks/training/progress',
    source: 'training',
    schema: trainingProgressWebhookSchema,
  },
  trainingComplete: {
    path: '/api/webhooks/training/complete',
    source: 'training',
    schema: trainingCompleteWebhookSchema,
  },
  trainingFailed: {
    path: '/api/webhooks/training/failed',
    source: 'training',
    schema: trainingFailedWebhookSchema,
  },
  generationProgress: {
    path: '/api/webhooks/inference/progress',
    source: 'inference',
    schema: generationProgressWebhookSchema,
  },
  generationComplete: {
    path: '/api/webhooks/inference/complete',
    source: 'inference',
    schema: generationCompleteWebhookSchema,
  },
  generationFailed: {
    path: '/api/webhooks/inference/failed',
    source: 'inference',
    schema: generationFailedWebhookSchema,
  },
} as const satisfies Record<string, { path: string; source: WebhookSource; schema: z.ZodType }>;
export type WebhookRoute = keyof typeof WEBHOOK_ROUTES;
