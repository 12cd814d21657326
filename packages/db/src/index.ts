export { createDatabase, queryRows, sqlPoolOf, type Database, type DatabaseOptions } from './client';
export {
  withTransaction,
  isRetryableTransactionError,
  type TransactionClient,
  type TransactionOptions,
} from './transaction';
export { migrate, loadMigrations, MigrationError, MIGRATIONS_DIR, type MigrateResult } from './migrate';
export { startEmbeddedPostgres, type EmbeddedPostgres } from './embedded';
export { demoSeedIds, seedDemoData, WELCOME_BONUS_TOKENS } from './seed';
export { findLedgerDiscrepancies, findCounterDrift } from './integrity';
export { Prisma } from './generated/prisma/client';
export type * from './generated/prisma/client';
export * from './generated/prisma/enums';
