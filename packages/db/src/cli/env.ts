import { MIGRATIONS_DIR } from '../migrate';

/** The database the command-line tools work on. */
export function databaseUrlFromEnv(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('Set DATABASE_URL, e.g. postgresql://postgres@127.0.0.1:5432/stylelicense');
  return url;
}

/** prisma/migrations, or MIGRATIONS_DIR where the tool runs from a bundle (the Docker image). */
export function migrationsDirFromEnv(): string {
  return process.env.MIGRATIONS_DIR ?? MIGRATIONS_DIR;
}
