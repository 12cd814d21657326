// Makes an existing user an admin: pnpm --filter @stylelicense/api admin:grant <username>
// Uses DATABASE_URL when set; otherwise the embedded database under DATA_DIR (stop `pnpm start`
// first: the embedded database serves one process).
import { hostname, userInfo } from 'node:os';
import { join } from 'node:path';
import { createDatabase, startEmbeddedPostgres } from '@stylelicense/db';
import { loadConfigWith } from '../src/env';
import { grantAdmin } from '../src/identity/roles';

const username = process.argv[2];
if (!username) {
  console.error('usage: pnpm --filter @stylelicense/api admin:grant <username>');
  process.exit(2);
}
// Only the database settings matter here, so the production checks are not applied.
const config = loadConfigWith({ MODE: 'embedded' });
const embedded = config.DATABASE_URL
  ? null
  : await startEmbeddedPostgres({ dataDir: join(config.DATA_DIR, 'postgres') });
const db = createDatabase({ url: config.DATABASE_URL ?? embedded!.url, poolSize: 1 });
try {
  const { userId, previousRole } = await grantAdmin(db, username, { account: osAccount(), host: hostname() });
  console.log(
    previousRole === 'admin'
      ? `${username} (${userId}) is already an admin`
      : `${username} (${userId}) is now an admin (was ${previousRole})`,
  );
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
} finally {
  await db.$disconnect();
  await embedded?.stop();
}

/** The account running this command; a container user without a passwd entry is named by its uid. */
function osAccount(): string {
  try {
    return userInfo().username;
  } catch {
    return `uid ${process.getuid?.() ?? 'unknown'}`;
  }
}
