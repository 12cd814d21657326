import { DomainError } from '@stylelicense/contracts';
import { TRPCError } from '@trpc/server';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { toApiError } from './errors';

describe('toApiError', () => {
  it('maps a domain error to its SPEC code and HTTP status', () => {
    const error = new TRPCError({
      code: 'INTERNAL_SERVER_ERROR',
      cause: new DomainError('INSUFFICIENT_TOKENS', 'Not enough tokens.', { needed: 5 }),
    });
    expect(toApiError(error)).toEqual({
      code: 'INSUFFICIENT_TOKENS',
      httpStatus: 402,
      message: 'Not enough tokens.',
      details: { needed: 5 },
    });
    expect(toApiError(new DomainError('REPLY_DEPTH_EXCEEDED', 'x')).httpStatus).toBe(422);
    expect(toApiError(new DomainError('DUPLICATE_FOLLOW', 'x')).httpStatus).toBe(409);
  });

  it('turns zod failures into VALIDATION_ERROR with field paths', () => {
    const parsed = z
      .object({ limit: z.number().max(100), tags: z.array(z.string()) })
      .safeParse({ limit: 500, tags: [1] });
    const body = toApiError(new TRPCError({ code: 'BAD_REQUEST', cause: parsed.error }));
    expect(body.code).toBe('VALIDATION_ERROR');
    expect(body.httpStatus).toBe(422);
    expect(body.issues!.map((i) => i.path).sort()).toEqual(['limit', 'tags.0']);
  });

  it('hides internal errors in every mode', () => {
    const error = new Error('relation "users" does not exist');
    expect(toApiError(error)).toEqual({
      code: 'INTERNAL_ERROR',
      httpStatus: 500,
      message: 'Something went wrong on our side.',
    });
  });
});
