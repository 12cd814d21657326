import { z } from 'zod';
import { DomainError } from '../errors';

/** Every message that crosses a process carries `v`; readers refuse versions they do not know. */
export const MESSAGE_VERSION = 1 as const;
export const SUPPORTED_MESSAGE_VERSIONS: readonly number[] = [MESSAGE_VERSION];

/** A versioned message schema: `{ v: 1, ...shape }`. */
export function versioned<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.object({ v: z.literal(MESSAGE_VERSION), ...shape });
}

// Ids travel inside AMQP routing keys, so they may not contain the topic separators.
export const idSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[A-Za-z0-9_-]+$/, 'ids contain only letters, digits, "_" and "-"');
export const storageKeySchema = z.string().min(1).max(1024);
export const timestampSchema = z.iso.datetime({ offset: true });
/** Which try of a job this is, 1 on the first. */
export const attemptSchema = z.int().min(1).max(20);

function decode(raw: unknown): unknown {
  if (typeof raw === 'string' || raw instanceof Uint8Array) {
    const text = typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8');
    try {
      return JSON.parse(text) as unknown;
    } catch (error) {
      throw new DomainError('MALFORMED_MESSAGE', 'message body is not valid JSON', undefined, {
        cause: error,
      });
    }
  }
  return raw;
}

/**
 * Parses a message (object, JSON string or bytes) against a versioned schema.
 * An unknown or missing `v` is refused with UNSUPPORTED_MESSAGE_VERSION rather than guessed;
 * a known version with bad fields is a VALIDATION_ERROR listing the field paths.
 */
export function parseMessage<Schema extends z.ZodType>(schema: Schema, raw: unknown): z.output<Schema> {
  const value = decode(raw);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new DomainError('MALFORMED_MESSAGE', 'message must be a JSON object');
  }
  const version = (value as { v?: unknown }).v;
  if (typeof version !== 'number' || !SUPPORTED_MESSAGE_VERSIONS.includes(version)) {
    throw new DomainError(
      'UNSUPPORTED_MESSAGE_VERSION',
      `message version ${JSON.stringify(version ?? null)} is not supported (supported: ${SUPPORTED_MESSAGE_VERSIONS.join(', ')})`,
      { received: version ?? null, supported: [...SUPPORTED_MESSAGE_VERSIONS] },
    );
  }
  const result = schema.safeParse(value);
  if (!result.success) {
    throw new DomainError('VALIDATION_ERROR', `invalid message: ${z.prettifyError(result.error)}`, {
      issues: result.error.issues.map((issue) => ({ path: issue.path.join('.'), message: issue.message })),
    });
  }
  return result.data;
}
