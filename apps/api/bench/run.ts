// `pnpm bench`: every benchmark in this folder, one after another (each file runs on import).
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const files = readdirSync(here).filter((name) => name.endsWith('.ts') && name !== 'run.ts' && !name.startsWith('_')).sort();
for (const file of files) {
  console.log(`\n=== ${file}`);
  await import(new URL(file, import.meta.url).href);
}
