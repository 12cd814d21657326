import { PrismaPg } from '@prisma/adapter-pg';
import { PrismaClient } from './generated/prisma/client';

export interface DatabaseOptions {
  /** postgresql:// URL */
  url: string;
  /** Connections in this process's pool. PGlite serves exactly one. */
  poolSize?: number;
  /** Abort statements that run longer than this (ms). */
  statementTimeoutMs?: number;
}

export type Database = PrismaClient;

/** One Prisma client per process, talking to PostgreSQL through node-postgres. */
export function createDatabase({ url, poolSize = 10, statementTimeoutMs }: DatabaseOptions): Database {
  const adapter = new PrismaPg({
    connectionString: url,
    max: poolSize,
    ...(statementTimeoutMs ? { statement_timeout: statementTimeoutMs } : {}),
  });
  return new PrismaClient({ adapter });
}
