export {
  createDatabase,
  genericPlanPool,
  queryRows,
  sqlPoolOf,
  type Database,
  type DatabaseOptions,
} from './client';
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
export type {
  PrismaClient,
  User,
  Artist,
  OAuthAccount,
  Session,
  Transaction,
  Purchase,
  Style,
  Artwork,
  Generation,
  Follow,
  Like,
  Comment,
  Tag,
  StyleTag,
  ArtworkTag,
  GenerationTag,
  Notification,
  OutboxMessage,
  WebhookReceipt,
  IdempotencyKey,
  Report,
  ModerationAction,
  ApiKey,
  TrainingSample,
} from './generated/prisma/client';
export {
  Role,
  AuthProvider,
  TransactionType,
  TransactionStatus,
  PaymentProvider,
  PurchaseStatus,
  TrainingStatus,
  LicenseType,
  AspectRatio,
  GenerationStatus,
  NotificationType,
  NotificationTarget,
  ReportTarget,
  ReportReason,
  ReportStatus,
  ModerationActionKind,
  OutboxStatus,
} from './generated/prisma/enums';
