import { DomainError, httpStatusFor, type ErrorCode } from '@stylelicense/contracts';
import { TRPCError } from '@trpc/server';
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
};

/**
 * The one translation from anything thrown to what a client sees: a stable SPEC code, its HTTP
 * status, a message, and nothing internal (no stack, no SQL) unless `exposeInternal`.
 */
export function toApiError(error: unknown, { exposeInternal = false } = {}): ApiErrorBody {
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
    message: exposeInternal && error instanceof Error ? error.message : 'Something went wrong on our side.',
  };
}
