import { StorageError } from './errors';

/**
 * The object key layout: every key the product writes is built here, so a
 * bucket policy, a CDN rule or a cleanup job can rely on the first segment.
 *
 *   uploads/<uploadId>/<n>          staging for presigned uploads (private, swept when orphaned)
 *   training/<styleId|uploadId>/<n> artwork used to train a style (private)
 *   models/<styleId>/<file>         LoRA weights and training artifacts (private)
 *   signatures/<artistId>.png       an artist's signature, only read to stamp results (private)
 *   results/<generationId>.<ext>    signed generation results (public area)
 *
 * Only `results/` is public: it is the only area a bucket policy or CDN may
 * expose without a presigned URL. The raw signature stays private so nobody
 * can lift it to forge signed images.
 */
export type StorageArea = 'uploads' | 'training' | 'models' | 'signatures' | 'results';
export type Visibility = 'public' | 'private';

export const STORAGE_AREAS: Readonly<Record<StorageArea, Visibility>> = {
  uploads: 'private',
  training: 'private',
  models: 'private',
  signatures: 'private',
  results: 'public',
};

export const RESULT_EXTENSIONS = ['png', 'webp', 'jpg'] as const;
export type ResultExtension = (typeof RESULT_EXTENSIONS)[number];

// One path segment: ids, numbers and file names. No '/', no dot-only names.
const SEGMENT = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}$/;
const MAX_KEY_BYTES = 1024;

function segment(value: string | number, what: string): string {
  const text = String(value);
  if (!SEGMENT.test(text) || text === '.' || text === '..') {
    throw new StorageError(
      'STORAGE_INVALID_KEY',
      `Invalid ${what} for a storage key: ${JSON.stringify(text)}`,
    );
  }
  return text;
}

function index(n: number): string {
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new StorageError('STORAGE_INVALID_KEY', `Image index must be a non-negative integer, got ${n}`);
  }
  return String(n);
}

export const storageKeys = {
  upload: (uploadId: string, n: number) => `uploads/${segment(uploadId, 'upload id')}/${index(n)}`,
  uploadPrefix: (uploadId: string) => `uploads/${segment(uploadId, 'upload id')}/`,
  trainingImage: (styleOrUploadId: string, n: number) =>
    `training/${segment(styleOrUploadId, 'style or upload id')}/${index(n)}`,
  trainingPrefix: (styleOrUploadId: string) => `training/${segment(styleOrUploadId, 'style or upload id')}/`,
  model: (styleId: string, file: string) =>
    `models/${segment(styleId, 'style id')}/${segment(file, 'model file name')}`,
  modelPrefix: (styleId: string) => `models/${segment(styleId, 'style id')}/`,
  signature: (artistId: string) => `signatures/${segment(artistId, 'artist id')}.png`,
  avatar: (userId: string) => `avatars/${segment(userId, 'user id')}.webp`,
  result: (generationId: string, ext: ResultExtension) => {
    if (!RESULT_EXTENSIONS.includes(ext)) {
      throw new StorageError('STORAGE_INVALID_KEY', `Unsupported result extension: ${JSON.stringify(ext)}`);
    }
    return `results/${segment(generationId, 'generation id')}.${ext}`;
  },
} as const;

/**
 * Every driver accepts only keys of this shape: '/'-separated safe segments,
 * no empty, '.' or '..' segment. This is what keeps the filesystem driver
 * inside its root directory.
 */
export function assertValidKey(key: string): void {
  if (typeof key !== 'string' || key.length === 0 || Buffer.byteLength(key) > MAX_KEY_BYTES) {
    throw new StorageError('STORAGE_INVALID_KEY', `Invalid storage key: ${JSON.stringify(key)}`, { key });
  }
  for (const part of key.split('/')) {
    if (!SEGMENT.test(part) || part === '.' || part === '..') {
      throw new StorageError('STORAGE_INVALID_KEY', `Invalid storage key: ${JSON.stringify(key)}`, { key });
    }
  }
}

/** A prefix for list(): empty (everything) or valid segments, optionally ending in '/'. */
export function assertValidPrefix(prefix: string): void {
  if (prefix === '') return;
  assertValidKey(prefix.endsWith('/') ? prefix.slice(0, -1) : prefix);
}

export function areaOf(key: string): StorageArea | null {
  const first = key.split('/', 1)[0] ?? '';
  return first in STORAGE_AREAS ? (first as StorageArea) : null;
}

/** Unknown areas are private: exposing something must be a decision made here. */
export function visibilityOf(key: string): Visibility {
  const area = areaOf(key);
  return area === null ? 'private' : STORAGE_AREAS[area];
}
