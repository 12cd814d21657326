// The JavaScript a first visit to the feed downloads: the entry chunk, the feed route's chunk and
// every chunk they import statically, gzipped. Baseline: all of the app's JavaScript, which is what
// the feed would cost without route-level code splitting. Run after `vite build` (`pnpm bench`).
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const BUDGET_KB = 170;
const dist = fileURLToPath(new URL('../dist/', import.meta.url));

interface Chunk {
  file: string;
  imports?: string[];
}
const manifest = JSON.parse(readFileSync(`${dist}.vite/manifest.json`, 'utf8')) as Record<string, Chunk>;

/** A chunk and what it imports statically, transitively: what the browser must fetch before it runs. */
function closure(keys: string[], seen = new Set<string>()): Set<string> {
  for (const key of keys) {
    if (seen.has(key)) continue;
    const chunk = manifest[key];
    if (!chunk) throw new Error(`manifest has no chunk ${key}: is the build current?`);
    seen.add(key);
    closure(chunk.imports ?? [], seen);
  }
  return seen;
}

const gzippedKb = (keys: Iterable<string>) =>
  [...keys]
    .map((key) => manifest[key]!.file)
    .filter((file) => file.endsWith('.js'))
    .reduce((total, file) => total + gzipSync(readFileSync(`${dist}${file}`), { level: 9 }).length, 0) / 1024;

const feed = gzippedKb(closure(['index.html', 'src/pages/feed.tsx']));
const everything = gzippedKb(Object.keys(manifest));
console.log(`initial JS for the feed route: ${feed.toFixed(1)} KB gzipped (budget ${BUDGET_KB} KB)`);
console.log(`all of the app's JS (no code splitting): ${everything.toFixed(1)} KB gzipped`);
console.log(
  `ratio feed / whole app: ${(feed / everything).toFixed(2)}; feed / budget: ${(feed / BUDGET_KB).toFixed(2)}`,
);
if (feed > BUDGET_KB) {
  console.error(`over budget by ${(feed - BUDGET_KB).toFixed(1)} KB`);
  process.exitCode = 1;
}
