import { StorageError } from './errors';
import type { ObjectInfo, ObjectStorage } from './types';
import { contentTypeEssence } from './validation';

/**
 * The server-side half of a presigned upload: the object exists, is within
 * `maxBytes` and has an accepted content type. A violating object is deleted
 * before the error is thrown, so it can never be used later. (S3 already
 * enforces the signed policy; this also covers stores that do not.)
 */
export async function verifyUploadedObject(
  storage: ObjectStorage,
  key: string,
  rules: { maxBytes: number; contentTypes?: readonly string[] },
): Promise<ObjectInfo> {
  const info = await storage.head(key);
  if (info === null) throw new StorageError('STORAGE_NOT_FOUND', `Nothing was uploaded to ${key}`, { key });
  if (info.size > rules.maxBytes) {
    await storage.delete(key);
    throw new StorageError(
      'STORAGE_UPLOAD_TOO_LARGE',
      `Upload of ${info.size} bytes exceeds ${rules.maxBytes}`,
      { key },
    );
  }
  const type = contentTypeEssence(info.contentType);
  if (rules.contentTypes !== undefined && !rules.contentTypes.map(contentTypeEssence).includes(type)) {
    await storage.delete(key);
    throw new StorageError('STORAGE_CONTENT_TYPE_MISMATCH', `Upload has content type ${type}`, { key });
  }
  return info;
}

/**
 * Deletes objects under `prefix` last modified before `olderThan`, except
 * those `keep` claims (e.g. staged uploads a style now references).
 * Returns the deleted keys.
 */
export async function sweepObjects(
  storage: ObjectStorage,
  prefix: string,
  options: { olderThan: Date; keep?: (key: string) => boolean | Promise<boolean> },
): Promise<string[]> {
  const deleted: string[] = [];
  for await (const object of storage.list(prefix)) {
    if (object.lastModified >= options.olderThan) continue;
    if (options.keep !== undefined && (await options.keep(object.key))) continue;
    await storage.delete(object.key);
    deleted.push(object.key);
  }
  return deleted;
}
