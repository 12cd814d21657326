import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { storageKeys, type ObjectStorage } from '@stylelicense/storage';
import sharp from 'sharp';

// Where a trained style's files live: the private models area, one folder per style.
// A later training of the same style (a retry, a re-queue) overwrites them in place.
export const STYLE_FILES = {
  adapter: 'lora.safetensors',
  log: 'training.log',
  thumbnail: 'thumbnail.webp',
} as const;

export const styleFileKey = (styleId: string, file: keyof typeof STYLE_FILES) => storageKeys.model(styleId, STYLE_FILES[file]);

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
export async function uploadTrainingLog(storage: ObjectStorage, styleId: string, logPath: string | null): Promise<string | null> {
  if (!logPath || !(await stat(logPath).then((s) => s.isFile() && s.size > 0, () => false))) return null;
  const key = styleFileKey(styleId, 'log');
  await uploadFile(storage, key, logPath, 'text/plain; charset=utf-8');
  return key;
}

/**
 * The style's thumbnail from its first valid artwork: the prepared image (already upright,
 * flattened, sRGB and stripped of metadata) scaled to fit 512 px, as WebP.
 */
export async function uploadThumbnail(storage: ObjectStorage, styleId: string, preparedImagePath: string): Promise<string> {
  const bytes = await sharp(preparedImagePath)
    .resize(THUMBNAIL_SIZE, THUMBNAIL_SIZE, { fit: 'inside', withoutEnlargement: true })
    .webp({ quality: 82 })
    .toBuffer();
  const key = styleFileKey(styleId, 'thumbnail');
  await storage.put(key, bytes, { contentType: 'image/webp', contentLength: bytes.byteLength });
  return key;
}
