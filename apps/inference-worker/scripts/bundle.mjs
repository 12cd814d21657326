// Bundles the worker into dist/: main.js (the process) and inference-thread.js (the diffusion
// worker thread, which DiffusionWorker loads beside the bundle). Workspace packages (TypeScript
// sources) are inlined; registry packages stay external and come from node_modules (`pnpm deploy`).
import { build } from 'esbuild';

await build({
  entryPoints: {
    main: 'src/main.ts',
    'inference-thread': '../../packages/diffusion/src/worker/inference-thread.ts',
  },
  outdir: 'dist',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'esm',
  sourcemap: true,
  logLevel: 'warning',
  plugins: [
    {
      name: 'externalize-registry-packages',
      setup(b) {
        b.onResolve({ filter: /^[^./]/ }, (args) =>
          args.path.startsWith('@stylelicense/') ? undefined : { path: args.path, external: true },
        );
      },
    },
  ],
  banner: {
    js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);",
  },
});
