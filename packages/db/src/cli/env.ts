/** The database the command-line tools work on. */
export function databaseUrlFromEnv(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('Set DATABASE_URL, e.g. postgresql://postgres@127.0.0.1:5432/stylelicense');
  return url;
}
