import { z } from 'zod';

export const ROLES = ['user', 'artist', 'admin'] as const;
export const roleSchema = z.enum(ROLES);
export type Role = z.infer<typeof roleSchema>;

export const TRAINING_STATUSES = ['pending', 'training', 'completed', 'failed'] as const;
export const trainingStatusSchema = z.enum(TRAINING_STATUSES);
export type TrainingStatus = z.infer<typeof trainingStatusSchema>;

export const GENERATION_STATUSES = [
  'queued',
  'processing',
  'retrying',
  'completed',
  'failed',
  'cancelled',
] as const;
export const generationStatusSchema = z.enum(GENERATION_STATUSES);
export type GenerationStatus = z.infer<typeof generationStatusSchema>;

/** Finished states never move again; late callbacks are ignored. */
export const FINAL_TRAINING_STATUSES: readonly TrainingStatus[] = ['completed', 'failed'];
export const FINAL_GENERATION_STATUSES: readonly GenerationStatus[] = ['completed', 'failed', 'cancelled'];

// The product's three aspect ratios ("2:2" is the original's name for 1024×1024).
export const ASPECT_RATIOS = {
  '1:1': { width: 512, height: 512 },
  '2:2': { width: 1024, height: 1024 },
  '1:2': { width: 512, height: 1024 },
} as const;
export type AspectRatio = keyof typeof ASPECT_RATIOS;
export const aspectRatioSchema = z.enum(Object.keys(ASPECT_RATIOS) as [AspectRatio, ...AspectRatio[]]);

export function dimensionsFor(aspectRatio: AspectRatio): { width: number; height: number } {
  const size = ASPECT_RATIOS[aspectRatio];
  return { width: size.width, height: size.height };
}

export const LICENSE_TYPES = ['personal', 'commercial', 'exclusive'] as const;
export const licenseTypeSchema = z.enum(LICENSE_TYPES);
export type LicenseType = z.infer<typeof licenseTypeSchema>;

export const NOTIFICATION_TYPES = [
  'follow',
  'like',
  'comment',
  'generation_complete',
  'generation_failed',
  'style_training_complete',
  'style_training_failed',
  // Moderation: the reporter hears how their report ended; the owner hears what was done to their content.
  'report_resolved',
  'report_dismissed',
  'style_flagged',
  'style_unflagged',
  'generation_hidden',
  'comment_hidden',
  'generation_unhidden',
  'comment_unhidden',
] as const;
export const notificationTypeSchema = z.enum(NOTIFICATION_TYPES);
export type NotificationType = z.infer<typeof notificationTypeSchema>;

// The original four ledger kinds plus the ones holds and refunds need.
export const TRANSACTION_TYPES = [
  'purchase',
  'generation',
  'withdrawal',
  'transfer',
  'refund',
  'earning',
  'bonus',
] as const;
export const transactionTypeSchema = z.enum(TRANSACTION_TYPES);
export type TransactionType = z.infer<typeof transactionTypeSchema>;

export const TRANSACTION_STATUSES = ['pending', 'completed', 'failed'] as const;
export const transactionStatusSchema = z.enum(TRANSACTION_STATUSES);
export type TransactionStatus = z.infer<typeof transactionStatusSchema>;
