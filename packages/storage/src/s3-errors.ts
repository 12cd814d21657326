import { StorageError } from './errors';

const NOT_FOUND = new Set(['NoSuchKey', 'NotFound']);
const DENIED = new Set([
  'AccessDenied',
  'InvalidAccessKeyId',
  'SignatureDoesNotMatch',
  'Forbidden',
  'ExpiredToken',
]);
const TRANSIENT = new Set([
  'SlowDown',
  'RequestTimeout',
  'TimeoutError',
  'InternalError',
  'ServiceUnavailable',
]);
const NETWORK = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
]);

interface SdkFailure {
  name?: string;
  code?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number };
}

/** Maps an AWS SDK / network failure onto the storage error codes. */
export function fromS3Error(error: unknown, key?: string): StorageError {
  if (error instanceof StorageError) return error;
  const failure = (typeof error === 'object' && error !== null ? error : {}) as SdkFailure;
  const name = failure.name ?? '';
  const status = failure.$metadata?.httpStatusCode;
  const detail = `${name || 'Error'}: ${failure.message ?? String(error)}`;
  const options = { cause: error, key };

  if (name === 'NoSuchBucket') {
    return new StorageError(
      'STORAGE_UNAVAILABLE',
      `Bucket does not exist (run ensureBucket): ${detail}`,
      options,
    );
  }
  if (NOT_FOUND.has(name) || status === 404) {
    return new StorageError('STORAGE_NOT_FOUND', `Object not found: ${key ?? ''}`, options);
  }
  if (DENIED.has(name) || status === 403 || status === 401) {
    return new StorageError('STORAGE_ACCESS_DENIED', `Storage refused the credentials: ${detail}`, options);
  }
  const networkCode = failure.code ?? (failure as { cause?: { code?: string } }).cause?.code;
  if (
    TRANSIENT.has(name) ||
    (networkCode !== undefined && NETWORK.has(networkCode)) ||
    status === undefined ||
    status === 429 ||
    status >= 500
  ) {
    return new StorageError('STORAGE_UNAVAILABLE', `Storage unavailable: ${detail}`, options);
  }
  return new StorageError('STORAGE_INVALID_REQUEST', `Storage rejected the request: ${detail}`, options);
}
