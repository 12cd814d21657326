// Runs `prisma generate` offline. The Prisma CLI insists on a schema-engine binary it would download;
// the TypeScript client needs none, so point the variable at any existing file (see README).
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const schema = fileURLToPath(new URL('../../../prisma/schema.prisma', import.meta.url));
const env = { ...process.env };
env.PRISMA_SCHEMA_ENGINE_BINARY ??= process.execPath;
env.PRISMA_HIDE_UPDATE_MESSAGE = '1';
env.CHECKPOINT_DISABLE = '1';
const result = spawnSync('prisma', ['generate', `--schema=${schema}`], {
  stdio: 'inherit',
  env,
  shell: false,
});
process.exit(result.status ?? 1);
