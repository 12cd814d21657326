import type { Database } from './client';
import { Prisma } from './generated/prisma/client';

export type TransactionClient = Prisma.TransactionClient;

export interface TransactionOptions {
  isolationLevel?: Prisma.TransactionIsolationLevel;
  /** Attempts after the first when PostgreSQL reports a serialization failure or deadlock. */
  maxRetries?: number;
  timeoutMs?: number;
}

const RETRYABLE_SQLSTATES = new Set(['40001', '40P01']);

/** True for errors PostgreSQL asks us to retry: serialization failures and deadlocks. */
export function isRetryableTransactionError(error: unknown): boolean {
  if (error instanceof Prisma.PrismaClientKnownRequestError) {
    if (error.code === 'P2034') return true;
    const meta = error.meta as { driverAdapterError?: { cause?: { originalCode?: string } } } | undefined;
    const sqlState = meta?.driverAdapterError?.cause?.originalCode;
    if (sqlState && RETRYABLE_SQLSTATES.has(sqlState)) return true;
  }
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' && RETRYABLE_SQLSTATES.has(code);
}

/**
 * Runs `work` in one interactive transaction, retrying the whole unit when PostgreSQL
 * aborts it for a serialization failure or deadlock. `work` must therefore be safe to re-run:
 * it may only have effects through `tx`.
 */
export async function withTransaction<T>(
  db: Database,
  work: (tx: TransactionClient) => Promise<T>,
  { isolationLevel, maxRetries = 5, timeoutMs = 15_000 }: TransactionOptions = {},
): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    try {
      return await db.$transaction(work, { isolationLevel, timeout: timeoutMs, maxWait: timeoutMs });
    } catch (error) {
      if (attempt >= maxRetries || !isRetryableTransactionError(error)) throw error;
      // Jittered back-off so the contenders do not collide again in lock-step.
      await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * 2 ** attempt));
    }
  }
}
