import { createHash } from 'node:crypto';
import { DomainError } from '@stylelicense/contracts';
import sharp from 'sharp';
import { LruCache } from './lru';

/** A signature resized for one target box: straight (not premultiplied) RGBA pixels. */
export interface PreparedSignature {
  width: number;
  height: number;
  rgba: Buffer;
}

export interface SignatureSize {
  width: number;
  height: number;
}

/** Results come in three sizes, so a few hundred entries cover every active artist several times over. */
const CACHE_ENTRIES = 256;
const prepared = new LruCache<string, Promise<PreparedSignature>>(CACHE_ENTRIES);
const natural = new LruCache<string, Promise<SignatureSize>>(CACHE_ENTRIES);

/** The cache key of a signature: the caller's (e.g. storage key + etag) or a hash of its bytes. */
export function signatureCacheKey(png: Uint8Array, key?: string): string {
  return key ?? `sha1:${createHash('sha1').update(png).digest('hex')}`;
}

function unreadable(error: unknown): DomainError {
  return new DomainError(
    'VALIDATION_ERROR',
    'The signature image cannot be read',
    { field: 'signatureImage', reason: 'corrupt' },
    { cause: error },
  );
}

/** Memoises a promise in an LRU, forgetting it if it fails so a later call can retry. */
function memo<V>(cache: LruCache<string, Promise<V>>, key: string, make: () => Promise<V>): Promise<V> {
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const pending = make().catch((error: unknown) => {
    cache.delete(key);
    throw error;
  });
  cache.set(key, pending);
  return pending;
}

export function signatureSize(png: Uint8Array, key: string): Promise<SignatureSize> {
  return memo(natural, key, async () => {
    const meta = await sharp(png)
      .metadata()
      .catch((error: unknown) => Promise.reject(unreadable(error)));
    if (!meta.width || !meta.height) throw unreadable(new Error('no dimensions'));
    return { width: meta.width, height: meta.height };
  });
}

/** Decodes and resizes a signature once per (signature, size); later stamps reuse the pixels. */
export function preparedSignature(
  png: Uint8Array,
  key: string,
  width: number,
  height: number,
): Promise<PreparedSignature> {
  return memo(prepared, `${key}@${width}x${height}`, async () => {
    try {
      const rgba = await sharp(png)
        .ensureAlpha()
        .toColourspace('srgb')
        .resize(width, height, { fit: 'fill', kernel: 'lanczos3' })
        .raw()
        .toBuffer();
      return { width, height, rgba };
    } catch (error) {
      throw unreadable(error);
    }
  });
}

/** For tests and memory pressure. */
export function clearSignatureCache(): void {
  prepared.clear();
  natural.clear();
}

export function signatureCacheSize(): number {
  return prepared.size;
}
