import type { ObjectStorage } from '@stylelicense/storage';

/** How long a download link handed to a client works. */
export const DOWNLOAD_URL_SECONDS = 60 * 60;

/**
 * A link is handed out again for this long after it was signed, so it always has at least
 * DOWNLOAD_URL_SECONDS minus this left. Signing (an HMAC, or SigV4 on S3) was a visible share of a
 * list page's CPU (one per card), and a repeated link lets browsers and CDNs cache the image.
 */
export const DOWNLOAD_URL_REUSE_SECONDS = 5 * 60;
const MAX_REUSED_LINKS = 10_000;

const signed = new WeakMap<ObjectStorage, Map<string, { url: string; until: number }>>();

/**
 * A client never sees a storage key or path, only a presigned, expiring URL from the storage layer.
 * Null when there is nothing stored yet.
 */
export async function downloadUrl(
  storage: ObjectStorage,
  key: string | null | undefined,
): Promise<string | null> {
  if (!key) return null;
  let links = signed.get(storage);
  if (!links) signed.set(storage, (links = new Map<string, { url: string; until: number }>()));
  const now = Date.now();
  const reused = links.get(key);
  if (reused && reused.until > now) return reused.url;
  const url = await storage.presignedDownload(key, { expiresIn: DOWNLOAD_URL_SECONDS });
  links.delete(key);
  links.set(key, { url, until: now + DOWNLOAD_URL_REUSE_SECONDS * 1000 });
  // Oldest first (Map keeps insertion order): bounded memory however many objects are listed.
  while (links.size > MAX_REUSED_LINKS) links.delete(links.keys().next().value!);
  return url;
}
