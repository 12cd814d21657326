// pnpm db:migrate — applies pending migrations to DATABASE_URL.
import { migrate } from '../migrate';
import { databaseUrlFromEnv } from './env';

const result = await migrate(databaseUrlFromEnv(), { log: (line) => console.log(line) });
console.log(`${result.applied.length} applied, ${result.alreadyApplied.length} already applied`);
