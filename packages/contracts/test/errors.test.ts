import { describe, expect, it } from 'vitest';
import {
  DomainError,
  ERROR_CODES,
  httpStatusFor,
  isDomainError,
  isErrorCode,
  JOB_FAILURE_CODES,
  JobFailure,
} from '../src';

describe('error codes', () => {
  it('keeps the original codes and statuses from the spec', () => {
    const spec = `UNAUTHORIZED 401, SESSION_EXPIRED 401, FORBIDDEN 403, ARTIST_ONLY 403,
      INSUFFICIENT_TOKENS 402, PAYMENT_FAILED 402, INVALID_PACKAGE 400, STYLE_LIMIT_REACHED 403,
      STYLE_NOT_FOUND 404, STYLE_NOT_READY 422, TRAINING_IN_PROGRESS 409, INVALID_IMAGE_FORMAT 422,
      IMAGE_SIZE_EXCEEDED 422, IMAGE_RESOLUTION_TOO_LOW 422, INSUFFICIENT_IMAGES 422, TOO_MANY_IMAGES 422,
      GENERATION_NOT_FOUND 404, DUPLICATE_FOLLOW 409, SELF_FOLLOW_NOT_ALLOWED 400, DUPLICATE_LIKE 409,
      COMMENT_NOT_FOUND 404, REPLY_DEPTH_EXCEEDED 422, INVALID_TAG_LANGUAGE 422, RATE_LIMIT_EXCEEDED 429,
      VALIDATION_ERROR 422`;
    const pairs = [...spec.matchAll(/([A-Z_]+) (\d{3})/g)];
    expect(pairs).toHaveLength(25);
    for (const [, code, status] of pairs) {
      expect(isErrorCode(code)).toBe(true);
      expect(httpStatusFor(code as keyof typeof ERROR_CODES)).toBe(Number(status));
    }
  });

  it('DomainError carries code, status and details', () => {
    const error = new DomainError('INSUFFICIENT_TOKENS', 'not enough tokens', { needed: 5 });
    expect(error).toBeInstanceOf(Error);
    expect(error.httpStatus).toBe(402);
    expect(error.details).toEqual({ needed: 5 });
    expect(isDomainError(error, 'INSUFFICIENT_TOKENS')).toBe(true);
    expect(isDomainError(error, 'FORBIDDEN')).toBe(false);
    expect(isErrorCode('NOPE')).toBe(false);
  });

  it('classifies job failures as retryable or permanent', () => {
    expect(JOB_FAILURE_CODES.GPU_OOM.retryable).toBe(true);
    expect(JOB_FAILURE_CODES.TIMEOUT.retryable).toBe(true);
    expect(JOB_FAILURE_CODES.NETWORK.retryable).toBe(true);
    expect(JOB_FAILURE_CODES.BAD_PROMPT.retryable).toBe(false);
    expect(JOB_FAILURE_CODES.MODEL_NOT_FOUND.retryable).toBe(false);
    expect(JOB_FAILURE_CODES.NO_TRAINER_ENGINE.retryable).toBe(false);
    const failure = new JobFailure('LORA_INVALID');
    expect(failure.retryable).toBe(false);
    expect(failure.message).toMatch(/adapter/);
  });
});
