import { createHmac, timingSafeEqual } from 'node:crypto';
import { StorageError } from './errors';

/**
 * Presigned URLs of the filesystem driver: an HMAC-SHA256 token over the
 * method, key, expiry and upload limits, checked by the storage route the
 * API mounts. The same rules as S3's presigned URLs, minus the bucket.
 */
export interface PresignedClaims {
  method: 'GET' | 'PUT';
  key: string;
  /** Expiry, Unix seconds. */
  expiresAt: number;
  /** PUT only: the one accepted content type. */
  contentType?: string;
  /** PUT only: the largest accepted body. */
  maxBytes?: number;
  /** GET only: suggested download file name. */
  downloadName?: string;
}

const DOMAIN = 'stylelicense-storage-v1';
const MIN_SECRET_BYTES = 32;

export function assertSigningSecret(secret: string | Uint8Array): void {
  if (Buffer.byteLength(secret) < MIN_SECRET_BYTES) {
    throw new StorageError(
      'STORAGE_INVALID_REQUEST',
      `The URL signing secret needs at least ${MIN_SECRET_BYTES} bytes`,
    );
  }
}

function mac(secret: string | Uint8Array, payload: string): Buffer {
  return createHmac('sha256', secret).update(`${DOMAIN}.${payload}`).digest();
}

export function signPresignedToken(secret: string | Uint8Array, claims: PresignedClaims): string {
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
  return `${payload}.${mac(secret, payload).toString('base64url')}`;
}

/**
 * Checks a token for `method` on `key`; returns its claims. HEAD requests
 * pass `GET`. Throws STORAGE_URL_INVALID (tampered, wrong key or method) or
 * STORAGE_URL_EXPIRED.
 */
export function verifyPresignedToken(
  secret: string | Uint8Array,
  token: string | null | undefined,
  expected: { method: 'GET' | 'PUT'; key: string; now?: Date },
): PresignedClaims {
  const invalid = (why: string) =>
    new StorageError('STORAGE_URL_INVALID', `Invalid storage URL: ${why}`, { key: expected.key });
  const [payload, signature, extra] = (token ?? '').split('.');
  if (!payload || !signature || extra !== undefined) throw invalid('malformed token');
  const given = Buffer.from(signature, 'base64url');
  const wanted = mac(secret, payload);
  if (given.length !== wanted.length || !timingSafeEqual(given, wanted)) throw invalid('bad signature');
  let claims: PresignedClaims;
  try {
    claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as PresignedClaims;
  } catch {
    throw invalid('unreadable claims');
  }
  if (claims.method !== expected.method)
    throw invalid(`signed for ${claims.method}, used for ${expected.method}`);
  if (claims.key !== expected.key) throw invalid('signed for another key');
  const now = Math.floor((expected.now ?? new Date()).getTime() / 1000);
  if (!(claims.expiresAt >= now)) {
    throw new StorageError('STORAGE_URL_EXPIRED', 'The storage URL has expired', { key: expected.key });
  }
  return claims;
}
