import { randomBytes } from 'node:crypto';
import { DomainError } from '@stylelicense/contracts';
import { ARTWORK_LIMITS, verifyArtwork, type VerifiedArtwork } from '@stylelicense/imaging';
import { storageKeys, sweepObjects, type ObjectStorage, type PresignedUpload } from '@stylelicense/storage';
import type { AppDeps } from '../deps';
import type { Viewer } from '../common/viewer';

/** SPEC.md: a style is trained on 10–100 of the artist's images. */
export const STYLE_IMAGE_COUNT = { min: 10, max: 100 } as const;
export const ARTWORK_CONTENT_TYPES = ['image/jpeg', 'image/png'] as const;
const UPLOAD_URL_SECONDS = 60 * 60;
/** Staged uploads no style claimed within a day are deleted by the housekeeping sweep. */
export const ORPHANED_UPLOAD_AGE_MS = 24 * 60 * 60 * 1000;

export function assertImageCount(count: number): void {
  if (count < STYLE_IMAGE_COUNT.min) {
    throw new DomainError(
      'INSUFFICIENT_IMAGES',
      `A style needs at least ${STYLE_IMAGE_COUNT.min} images; got ${count}.`,
      { count, min: STYLE_IMAGE_COUNT.min },
    );
  }
  if (count > STYLE_IMAGE_COUNT.max) {
    throw new DomainError(
      'TOO_MANY_IMAGES',
      `A style takes at most ${STYLE_IMAGE_COUNT.max} images; got ${count}.`,
      { count, max: STYLE_IMAGE_COUNT.max },
    );
  }
}

/**
 * Presigned uploads into a staging area of the artist's own (`uploads/<artistId>_<random>/<n>`):
 * the browser sends bytes straight to storage; `styles.create` verifies them later.
 */
export async function issueUploadUrls(
  { storage }: Pick<AppDeps, 'storage'>,
  viewer: Viewer,
  { images }: { images: ReadonlyArray<{ contentType: (typeof ARTWORK_CONTENT_TYPES)[number] }> },
): Promise<{ uploadId: string; uploads: Array<PresignedUpload & { index: number }> }> {
  const artistId = viewer.userId;
  assertImageCount(images.length);
  const uploadId = `${artistId}_${randomBytes(12).toString('hex')}`;
  const uploads = await Promise.all(
    images.map(async ({ contentType }, index) => ({
      index,
      ...(await storage.presignedUpload(storageKeys.upload(uploadId, index), {
        contentType,
        maxBytes: ARTWORK_LIMITS.maxBytes,
        expiresIn: UPLOAD_URL_SECONDS,
      })),
    })),
  );
  return { uploadId, uploads };
}

/** An upload id belongs to the artist who asked for it; nobody can claim another's staged images. */
export function assertOwnUpload(uploadId: string, artistId: string): void {
  if (!uploadId.startsWith(`${artistId}_`))
    throw new DomainError('FORBIDDEN', 'This upload belongs to someone else.', { uploadId });
}

/**
 * Checks every staged image by its bytes (JPG/PNG sniffed, ≤ 10 MB, ≥ 512×512, decodable), a few
 * at a time. A rejected image is deleted (it can never be used) and its error names its index.
 */
export async function verifyStagedArtworks(
  storage: ObjectStorage,
  uploadId: string,
  indexes: readonly number[],
): Promise<Map<number, VerifiedArtwork>> {
  const verified = new Map<number, VerifiedArtwork>();
  let next = 0;
  const worker = async () => {
    while (next < indexes.length) {
      const index = indexes[next++]!;
      verified.set(index, await verifyOne(storage, storageKeys.upload(uploadId, index), index));
    }
  };
  await Promise.all(Array.from({ length: Math.min(4, indexes.length) }, worker));
  return verified;
}

async function verifyOne(storage: ObjectStorage, key: string, index: number): Promise<VerifiedArtwork> {
  const info = await storage.head(key);
  if (!info)
    throw new DomainError('VALIDATION_ERROR', `Image ${index} was not uploaded.`, {
      index,
      field: 'artworks',
    });
  try {
    if (info.size > ARTWORK_LIMITS.maxBytes) {
      throw new DomainError(
        'IMAGE_SIZE_EXCEEDED',
        `Image ${index} is ${info.size} bytes; the limit is 10 MB.`,
        { reason: 'too_many_bytes', bytes: info.size },
      );
    }
    return await verifyArtwork(await storage.get(key));
  } catch (error) {
    if (!(error instanceof DomainError)) throw error;
    await storage.delete(key);
    throw new DomainError(error.code, `Image ${index}: ${error.message}`, { ...error.details, index });
  }
}

/** Deletes staged uploads older than a day that no style claimed; returns how many. */
export async function sweepOrphanedUploads(storage: ObjectStorage, now = new Date()): Promise<number> {
  const deleted = await sweepObjects(storage, 'uploads/', {
    olderThan: new Date(now.getTime() - ORPHANED_UPLOAD_AGE_MS),
  });
  return deleted.length;
}

/** Removes a whole staging folder (after its images were copied to the style, or abandoned). */
export async function deleteStaged(storage: ObjectStorage, prefix: string): Promise<void> {
  const keys: string[] = [];
  for await (const object of storage.list(prefix)) keys.push(object.key);
  await Promise.all(keys.map((key) => storage.delete(key)));
}
