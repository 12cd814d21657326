import { DomainError, httpStatusFor, type ErrorCode } from '@stylelicense/contracts';
import { TRPCError } from '@trpc/server';
import { TRPC_ERROR_CODES_BY_KEY } from '@trpc/server/rpc';
import { ZodError } from 'zod';

export interface ApiErrorBody {
  code: ErrorCode;
  httpStatus: number;
  message: string;
  details?: Record<string, unknown>;
  /** Field paths for VALIDATION_ERROR. */
  issues?: Array<{ path: string; message: string }>;
}

const FROM_TRPC_CODE: Partial<Record<TRPCError['code'], ErrorCode>> = {
  UNAUTHORIZED: 'UNAUTHORIZED',
  FORBIDDEN: 'FORBIDDEN',
  NOT_FOUND: 'NOT_FOUND',
  CONFLICT: 'CONFLICT',
  BAD_REQUEST: 'VALIDATION_ERROR',
  PARSE_ERROR: 'VALIDATION_ERROR',
  UNPROCESSABLE_CONTENT: 'VALIDATION_ERROR',
  TOO_MANY_REQUESTS: 'RATE_LIMIT_EXCEEDED',
  PAYMENT_REQUIRED: 'PAYMENT_FAILED',
  PAYLOAD_TOO_LARGE: 'PAYLOAD_TOO_LARGE',
  METHOD_NOT_SUPPORTED: 'METHOD_NOT_ALLOWED',
  UNSUPPORTED_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
};

/**
 * The one translation from anything thrown to what a client sees: a stable SPEC code, its HTTP
 * status, a message, and nothing internal (no stack, no SQL, no file path) in any mode: the log has those.
 */
export function toApiError(error: unknown): ApiErrorBody {
  const cause = error instanceof TRPCError && error.cause ? error.cause : error;
  if (cause instanceof DomainError) {
    return {
      code: cause.code,
      httpStatus: cause.httpStatus,
      message: cause.message,
      ...(cause.details ? { details: cause.details } : {}),
    };
  }
  if (cause instanceof ZodError) {
    return {
      code: 'VALIDATION_ERROR',
      httpStatus: httpStatusFor('VALIDATION_ERROR'),
      message: 'The request is not valid.',
      issues: cause.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    };
  }
  if (error instanceof TRPCError) {
    const code = FROM_TRPC_CODE[error.code];
    if (code) return { code, httpStatus: httpStatusFor(code), message: error.message };
  }
  return {
    code: 'INTERNAL_ERROR',
    httpStatus: 500,
    message: 'Something went wrong on our side.',
  };
}

const RPC_KEY_FOR_STATUS: Record<number, keyof typeof TRPC_ERROR_CODES_BY_KEY> = {
  400: 'BAD_REQUEST',
  401: 'UNAUTHORIZED',
  402: 'PAYMENT_REQUIRED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  405: 'METHOD_NOT_SUPPORTED',
  409: 'CONFLICT',
  413: 'PAYLOAD_TOO_LARGE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
  422: 'UNPROCESSABLE_CONTENT',
  429: 'TOO_MANY_REQUESTS',
};

/**
 * The JSON-RPC error code matching an HTTP status. A domain error thrown straight from a resolver
 * would otherwise travel as INTERNAL_SERVER_ERROR, which tRPC's SSE link treats as "retry forever".
 */
export function rpcCodeFor(httpStatus: number, fallback: number): number {
  const key = RPC_KEY_FOR_STATUS[httpStatus];
  return key ? TRPC_ERROR_CODES_BY_KEY[key] : fallback;
}
