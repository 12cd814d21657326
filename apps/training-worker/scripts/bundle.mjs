// Bundles the worker's entry point into dist/main.js. Workspace packages (TypeScript sources) and
// their registry dependencies (amqplib, the AWS SDK…) are inlined; only this app's own registry
// dependencies stay external (sharp is native), because those are what `pnpm deploy --prod` puts
// at the top of node_modules in the Docker image (a workspace package's dependencies are not).
import { readFileSync } from 'node:fs';
import { build } from 'esbuild';

const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
const external = Object.keys(manifest.dependencies).filter((name) => !name.startsWith('@stylelicense/'));

await build({
  entryPoints: { main: 'src/main.ts' },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  external,
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
});
