import type { ObjectStorage } from '@stylelicense/storage';

/** How long a download link handed to a client works. */
export const DOWNLOAD_URL_SECONDS = 60 * 60;

/**
 * A client never sees a storage key or path, only a presigned, expiring URL from the storage layer.
 * Null when there is nothing stored yet.
 */
export async function downloadUrl(storage: ObjectStorage, key: string | null | undefined): Promise<string | null> {
  if (!key) return null;
  return storage.presignedDownload(key, { expiresIn: DOWNLOAD_URL_SECONDS });
}
