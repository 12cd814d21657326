// pnpm db:seed — loads the demo marketplace into DATABASE_URL (once; a no-op when users exist).
import { createDatabase } from '../client';
import { seedDemoData } from '../seed';
import { databaseUrlFromEnv } from './env';

const db = createDatabase({ url: databaseUrlFromEnv(), poolSize: 1 });
try {
  const counts = await seedDemoData(db);
  console.log(counts ? `seeded ${JSON.stringify(counts)}` : 'database already has users: nothing seeded');
} finally {
  await db.$disconnect();
}
