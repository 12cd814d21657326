// Stable error codes every process shares, with the HTTP status the API answers with.
// The first block is the original product's list (SPEC.md); the rest cover the job pipeline.
export const ERROR_CODES = {
  UNAUTHORIZED: 401,
  SESSION_EXPIRED: 401,
  FORBIDDEN: 403,
  ARTIST_ONLY: 403,
  INSUFFICIENT_TOKENS: 402,
  PAYMENT_FAILED: 402,
  INVALID_PACKAGE: 400,
  STYLE_LIMIT_REACHED: 403,
  STYLE_NOT_FOUND: 404,
  STYLE_NOT_READY: 422,
  TRAINING_IN_PROGRESS: 409,
  INVALID_IMAGE_FORMAT: 422,
  IMAGE_SIZE_EXCEEDED: 422,
  IMAGE_RESOLUTION_TOO_LOW: 422,
  INSUFFICIENT_IMAGES: 422,
  TOO_MANY_IMAGES: 422,
  GENERATION_NOT_FOUND: 404,
  DUPLICATE_FOLLOW: 409,
  SELF_FOLLOW_NOT_ALLOWED: 400,
  DUPLICATE_LIKE: 409,
  COMMENT_NOT_FOUND: 404,
  REPLY_DEPTH_EXCEEDED: 422,
  INVALID_TAG_LANGUAGE: 422,
  RATE_LIMIT_EXCEEDED: 429,
  VALIDATION_ERROR: 422,

  // Beyond the original (SPEC "second round").
  PRICE_CHANGED: 409,

  // Cross-process messages and webhooks.
  UNSUPPORTED_MESSAGE_VERSION: 400,
  MALFORMED_MESSAGE: 400,
  WEBHOOK_HEADERS_MISSING: 401,
  WEBHOOK_SIGNATURE_INVALID: 401,
  WEBHOOK_TIMESTAMP_STALE: 401,
  WEBHOOK_REJECTED: 502,
  WEBHOOK_DELIVERY_FAILED: 503,

  // Broker layer.
  QUEUE_UNROUTABLE: 500,
  QUEUE_PUBLISH_NACKED: 503,
  QUEUE_PUBLISH_TIMEOUT: 503,
  QUEUE_UNAVAILABLE: 503,
  QUEUE_CLOSED: 503,

  // Trust and safety: reports, moderation, prompt rules.
  STYLE_FLAGGED: 403,
  PROMPT_REFUSED: 422,
  DUPLICATE_REPORT: 409,
  REPORT_NOT_FOUND: 404,
  REPORT_ALREADY_CLOSED: 409,
  REPORT_TARGET_NOT_FOUND: 404,
  /** The owner tried to publish or edit what a moderator hid; only a moderator's unhide lifts it. */
  HIDDEN_BY_MODERATION: 403,
  // API keys, idempotent writes and cancelling.
  API_KEY_INVALID: 401,
  API_KEY_REVOKED: 401,
  API_KEY_EXPIRED: 401,
  API_KEY_SCOPE_MISSING: 403,
  IDEMPOTENCY_KEY_REUSED: 422,
  IDEMPOTENCY_KEY_IN_USE: 409,
  GENERATION_NOT_CANCELLABLE: 409,

  NOT_FOUND: 404,
  METHOD_NOT_ALLOWED: 405,
  CONFLICT: 409,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  INTERNAL_ERROR: 500,
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === 'string' && Object.hasOwn(ERROR_CODES, value);
}

export function httpStatusFor(code: ErrorCode): number {
  return ERROR_CODES[code];
}

/** The one error type domain code throws; the API's formatter maps `code` to an HTTP status. */
export class DomainError extends Error {
  override readonly name = 'DomainError';
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(
    code: ErrorCode,
    message: string,
    details?: Record<string, unknown>,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.code = code;
    this.details = details;
  }

  get httpStatus(): number {
    return httpStatusFor(this.code);
  }
}

export function isDomainError(error: unknown, code?: ErrorCode): error is DomainError {
  return error instanceof DomainError && (code === undefined || error.code === code);
}
