import { DomainError } from '@stylelicense/contracts';
import { describe, expect, it } from 'vitest';
import { toApiError } from '../src/trpc/errors';

// SPEC.md → API conventions: the original codes and their HTTP statuses, verbatim.
const SPEC = `UNAUTHORIZED 401, SESSION_EXPIRED 401, FORBIDDEN 403, ARTIST_ONLY 403,
  INSUFFICIENT_TOKENS 402, PAYMENT_FAILED 402, INVALID_PACKAGE 400,
  STYLE_LIMIT_REACHED 403, STYLE_NOT_FOUND 404, STYLE_NOT_READY 422,
  TRAINING_IN_PROGRESS 409, INVALID_IMAGE_FORMAT 422, IMAGE_SIZE_EXCEEDED 422,
  IMAGE_RESOLUTION_TOO_LOW 422, INSUFFICIENT_IMAGES 422, TOO_MANY_IMAGES 422,
  GENERATION_NOT_FOUND 404, DUPLICATE_FOLLOW 409, SELF_FOLLOW_NOT_ALLOWED 400,
  DUPLICATE_LIKE 409, COMMENT_NOT_FOUND 404, REPLY_DEPTH_EXCEEDED 422,
  INVALID_TAG_LANGUAGE 422, RATE_LIMIT_EXCEEDED 429, VALIDATION_ERROR 422`;

describe('SPEC error codes', () => {
  it.each(SPEC.split(',').map((pair) => pair.trim().split(' ') as [string, string]))(
    '%s answers %s through the formatter',
    (code, status) => {
      const body = toApiError(new DomainError(code as never, 'message', { some: 'detail' }));
      expect(body).toEqual({
        code,
        httpStatus: Number(status),
        message: 'message',
        details: { some: 'detail' },
      });
    },
  );
});
