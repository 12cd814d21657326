// pnpm db:migrate — applies pending migrations to DATABASE_URL.
import { migrate } from '../migrate';
import { databaseUrlFromEnv, migrationsDirFromEnv } from './env';

const result = await migrate(databaseUrlFromEnv(), {
  dir: migrationsDirFromEnv(),
  log: (line) => console.log(line),
});
console.log(`${result.applied.length} applied, ${result.alreadyApplied.length} already applied`);
