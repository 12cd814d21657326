import { StorageError } from './errors';
import type { ObjectMetadata, PresignedDownloadOptions, PresignedUploadOptions } from './types';

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/;
const METADATA_KEY = /^[a-z0-9][a-z0-9-]{0,63}$/;
/** S3's limit for presigned URLs (SigV4), applied to both drivers so they behave alike. */
export const MAX_PRESIGN_SECONDS = 7 * 24 * 3600;
const MAX_METADATA_BYTES = 2048;

/** The media type without parameters, lower-cased: `image/PNG; x=1` → `image/png`. */
export function contentTypeEssence(value: string): string {
  return (value.split(';', 1)[0] ?? '').trim().toLowerCase();
}

export function normalizeContentType(value: string): string {
  const essence = contentTypeEssence(value ?? '');
  if (!MIME.test(essence)) {
    throw new StorageError('STORAGE_INVALID_REQUEST', `Invalid content type: ${JSON.stringify(value)}`);
  }
  return essence;
}

export function validateMetadata(metadata: ObjectMetadata | undefined): ObjectMetadata {
  if (metadata === undefined) return {};
  let bytes = 0;
  for (const [name, value] of Object.entries(metadata)) {
    if (!METADATA_KEY.test(name) || typeof value !== 'string') {
      throw new StorageError('STORAGE_INVALID_REQUEST', `Invalid metadata entry: ${JSON.stringify(name)}`);
    }
    bytes += name.length + Buffer.byteLength(encodeURIComponent(value));
  }
  if (bytes > MAX_METADATA_BYTES) {
    throw new StorageError('STORAGE_INVALID_REQUEST', `Metadata exceeds ${MAX_METADATA_BYTES} bytes`);
  }
  return { ...metadata };
}

export function validateExpiresIn(expiresIn: number): number {
  if (!Number.isInteger(expiresIn) || expiresIn < 1 || expiresIn > MAX_PRESIGN_SECONDS) {
    throw new StorageError(
      'STORAGE_INVALID_REQUEST',
      `expiresIn must be an integer from 1 to ${MAX_PRESIGN_SECONDS} seconds, got ${expiresIn}`,
    );
  }
  return expiresIn;
}

export function validateUploadOptions(options: PresignedUploadOptions): PresignedUploadOptions {
  if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 1) {
    throw new StorageError(
      'STORAGE_INVALID_REQUEST',
      `maxBytes must be a positive integer, got ${options.maxBytes}`,
    );
  }
  return {
    contentType: normalizeContentType(options.contentType),
    maxBytes: options.maxBytes,
    expiresIn: validateExpiresIn(options.expiresIn),
  };
}

export function validateDownloadOptions(options: PresignedDownloadOptions): PresignedDownloadOptions {
  const name = options.downloadName;
  if (name !== undefined && !/^[^"\\/\r\n]{1,200}$/.test(name)) {
    throw new StorageError('STORAGE_INVALID_REQUEST', `Invalid download name: ${JSON.stringify(name)}`);
  }
  return { expiresIn: validateExpiresIn(options.expiresIn), downloadName: name };
}

/** Content-Disposition for a suggested download name, safe for non-ASCII names (RFC 6266). */
export function attachmentDisposition(name: string): string {
  const ascii = name.replace(/[^\x20-\x7e]/g, '_');
  return `attachment; filename="${ascii}"; filename*=UTF-8''${encodeURIComponent(name)}`;
}
