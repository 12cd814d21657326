/** Where tests find a PostgreSQL server they may create databases on. */
export const testDatabaseAdminUrl =
  process.env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres';
