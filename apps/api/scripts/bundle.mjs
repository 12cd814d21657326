// Bundles the API's entry points into dist/. Workspace packages (TypeScript sources) are inlined;
// registry packages stay external and come from node_modules (see the Dockerfile's `pnpm deploy`).
import { build } from 'esbuild';

await build({
  entryPoints: {
    main: 'src/main.ts',
    embedded: 'src/embedded.ts',
    migrate: '../../packages/db/src/cli/migrate.ts',
    seed: '../../packages/db/src/cli/seed.ts',
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
  banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" },
});
