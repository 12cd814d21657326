/**
 * Typed storage failures. `code` is stable (callers and the API's error
 * formatter switch on it); `retryable` tells workers whether trying again can help.
 */
export const STORAGE_ERROR_CODES = [
  'STORAGE_NOT_FOUND',
  'STORAGE_UNAVAILABLE',
  'STORAGE_ACCESS_DENIED',
  'STORAGE_INVALID_KEY',
  'STORAGE_INVALID_REQUEST',
  'STORAGE_URL_INVALID',
  'STORAGE_URL_EXPIRED',
  'STORAGE_UPLOAD_TOO_LARGE',
  'STORAGE_CONTENT_TYPE_MISMATCH',
] as const;

export type StorageErrorCode = (typeof STORAGE_ERROR_CODES)[number];

const RETRYABLE: ReadonlySet<StorageErrorCode> = new Set(['STORAGE_UNAVAILABLE']);

export class StorageError extends Error {
  override readonly name = 'StorageError';
  readonly retryable: boolean;
  /** The object key involved, when there is one. */
  readonly key: string | undefined;

  constructor(
    readonly code: StorageErrorCode,
    message: string,
    options: { cause?: unknown; key?: string } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.retryable = RETRYABLE.has(code);
    this.key = options.key;
  }
}

export function isStorageError(error: unknown, code?: StorageErrorCode): error is StorageError {
  return error instanceof StorageError && (code === undefined || error.code === code);
}
