import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { storageKeys, type ObjectStorage } from '@stylelicense/storage';
import sharp from 'sharp';

/**
 * Where a trained style's files live: the private models area, one folder per style. Adapter and
 * log are named after the job, so the key the API stores always names the bytes that job produced:
 * a duplicate delivery training in parallel, or a late re-queue, never rewrites an adapter in use.
 * The thumbnail is the style's one picture and is simply replaced.
 */
export function styleFileKeys(styleId: string, jobId: string) {
  return {
    adapter: storageKeys.model(styleId, `lora-${jobId}.safetensors`),
    log: storageKeys.model(styleId, `training-${jobId}.log`),
    thumbnail: storageKeys.model(styleId, 'thumbnail.webp'),
    /** The picture drawn at an epoch's end, shown to the artist while and after training. */
    sample: (epoch: number) => storageKeys.model(styleId, `sample-${jobId}-epoch-${epoch}.png`),
  };
}

/** Longest side of the style's thumbnail, in pixels. */
export const THUMBNAIL_SIZE = 512;

export async function uploadFile(
  storage: ObjectStorage,
  key: string,
  path: string,
  contentType: string,
  metadata: Record<string, string> = {},
): Promise<void> {
  const { size } = await stat(path);
  // Streamed: adapters of higher ranks run to hundreds of megabytes.
  await storage.put(key, createReadStream(path), { contentType, contentLength: size, metadata });
}

/** The trainer's log, if the run got far enough to write one; null otherwise. */
export async function uploadTrainingLog(
  storage: ObjectStorage,
  key: string,
  logPath: string | null,
): Promise<string | null> {
  if (
    !logPath ||
    !(await stat(logPath).then(
      (s) => s.isFile() && s.size > 0,
      () => false,
    ))
  )
    return null;
  await uploadFile(storage, key, logPath, 'text/plain; charset=utf-8');
  return key;
}

/**
 * The style's thumbnail from its first valid artwork: the prepared image (already upright,
 * flattened, sRGB and stripped of metadata) scaled to fit 512 px, as WebP.
 */
export async function uploadThumbnail(
  storage: ObjectStorage,
  key: string,
  preparedImagePath: string,
): Promise<string> {
  const bytes = await sharp(preparedImagePath)
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 82 })
    .toBuffer();
  await storage.put(key, bytes, { contentType: 'image/webp', contentLength: bytes.byteLength });
  return key;
}
