// One flat config for the whole workspace.
import { readdirSync } from 'node:fs';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

const foldersIn = (parent) =>
  readdirSync(new URL(parent, import.meta.url), { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name);
// Workspace folder names (apps/api → "api"), to catch relative paths that climb into a sibling workspace.
const workspaceDirs = [...foldersIn('apps'), ...foldersIn('packages')];
const apps = foldersIn('apps').map((name) => `@stylelicense/${name}`);

// A relative import whose path passes through one of these folders, e.g. '../http/app', '../../trpc/init'.
const throughFolder = (...folders) => `^\\.{1,2}/(?:.*/)?(?:${folders.join('|')})(?:/|$)`;

/** Every file: workspaces meet only at published entry points. */
const everywhere = {
  paths: [],
  patterns: [
    {
      group: [
        '@stylelicense/*/src',
        '@stylelicense/*/src/**',
        '@stylelicense/*/dist',
        '@stylelicense/*/dist/**',
      ],
      message: "Import the package's entry point (or an export listed in its package.json), not its files.",
    },
    {
      regex: `^(?:\\.\\./)+(?:(?:apps|packages|e2e)/|(?:${workspaceDirs.join('|')})/)`,
      message: 'Import another workspace by its package name, not by a relative path.',
    },
  ],
};

const noApps = (allowTypeImports = false) => ({
  paths: apps.map((name) => ({
    name,
    allowTypeImports,
    message: 'Packages never depend on apps.',
  })),
  patterns: [{ group: apps.map((name) => `${name}/**`), message: 'Packages never depend on apps.' }],
});

const noExpress = {
  paths: [{ name: 'express', message: 'Only http/ sees Express.' }],
  patterns: [{ group: ['express/*'], message: 'Only http/ sees Express.' }],
};
const noTrpcServer = {
  paths: [{ name: '@trpc/server', message: 'Domain code never sees tRPC; routers (router.ts) do.' }],
  patterns: [{ group: ['@trpc/server/*'], message: 'Domain code never sees tRPC; routers (router.ts) do.' }],
};
const noFolders = (message, ...folders) => ({
  paths: [],
  patterns: [{ regex: throughFolder(...folders), message }],
});

/** Rule options do not merge across config blocks, so each block lists everything that applies to its files. */
const restrict = (...sets) => [
  'error',
  {
    paths: sets.flatMap((set) => set.paths),
    patterns: sets.flatMap((set) => set.patterns),
  },
];

const api = 'apps/api/src';
const domains = [
  'identity',
  'tokens',
  'styles',
  'generations',
  'community',
  'notifications',
  'search',
  'moderation',
  'provenance',
  'apikeys',
  'common',
  'health',
];
const domainFiles = domains.map((domain) => `${api}/${domain}/**/*.ts`);
const routerFiles = domains.flatMap((domain) => [
  `${api}/${domain}/**/router.ts`,
  `${api}/${domain}/**/*.router.ts`,
]);

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/generated/**',
      '**/.data/**',
      '**/.turbo/**',
      '**/coverage/**',
      '.gpu/**',
      '.bench/**',
    ],
  },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: {
      globals: { ...globals.node },
      // Each file is type-checked with the nearest tsconfig.json, which includes src, test, bench and scripts.
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Configuration is read and validated in one place per process.
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through env.ts only.' },
      ],
      // A promise nobody awaits loses its error: await it, or `void` it where something else handles failure.
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/no-unnecessary-type-assertion': 'error',
      // Async methods that implement a Promise-returning interface without awaiting (in-process broker,
      // memory stores, fakes) are deliberate.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-restricted-imports': restrict(everywhere),
      // Entry points name what they export, so a reader sees a package's surface in one file.
      'no-restricted-syntax': [
        'error',
        { selector: 'ExportAllDeclaration', message: 'Export names explicitly, not `export *`.' },
      ],
      // One room per idea: a source file past 320 lines is split by what its parts do.
      'max-lines': ['error', { max: 320 }],
    },
  },
  {
    // Tests read as one story per file and may run longer than the source they exercise.
    files: ['**/test/**', '**/*.test.ts', '**/*.test.tsx'],
    rules: { 'max-lines': 'off' },
  },
  {
    // Plain JavaScript (bundle and generate scripts) is in no tsconfig: lint it without types.
    files: ['**/*.{js,mjs,cjs}'],
    ...tseslint.configs.disableTypeChecked,
  },
  {
    // The validated configuration modules, scripts and test harnesses may read the environment.
    files: ['**/env.ts', '**/*.config.ts', '**/scripts/**', '**/test/**', '**/*.test.ts', '**/bench/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
  {
    files: ['**/test/**', '**/*.test.ts', '**/bench/**'],
    rules: {
      // Vitest's asymmetric matchers (expect.any, expect.stringMatching) and Array(n).fill() are typed `any`.
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
    },
  },

  // ── Import boundaries ────────────────────────────────────────────────────────────────────────
  {
    files: ['packages/**'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict(everywhere, noApps()) },
  },
  {
    // The client is typed by the API's router (a type-only import); its tests drive a real API.
    files: ['packages/client/src/**'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict(everywhere, noApps(true)) },
  },
  {
    files: ['packages/client/test/**'],
    rules: { '@typescript-eslint/no-restricted-imports': restrict(everywhere) },
  },
  {
    // The web app runs in browsers and knows the API only by its router's type.
    files: ['apps/web/src/**'],
    languageOptions: { globals: { ...globals.browser } },
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict(everywhere, {
        paths: [
          {
            name: '@stylelicense/api',
            allowTypeImports: true,
            message: 'The web app imports only `type AppRouter` from the API.',
          },
        ],
        patterns: [],
      }),
    },
  },
  {
    // Domain code never sees HTTP, Express or tRPC; platform services reach it through deps.ts.
    files: domainFiles,
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict(
        everywhere,
        noExpress,
        noTrpcServer,
        noFolders(
          'Domain code never imports http/, trpc/ or embedded/ (routers may import trpc/).',
          'http',
          'trpc',
          'embedded',
        ),
      ),
    },
  },
  {
    // A domain's router is its tRPC surface: it may use trpc/, never HTTP.
    files: routerFiles,
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict(
        everywhere,
        noExpress,
        noFolders('Routers never import http/ or embedded/.', 'http', 'embedded'),
      ),
    },
  },
  {
    // tRPC is transport-neutral: the HTTP layer adapts to it, never the other way round.
    files: [`${api}/trpc/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict(
        everywhere,
        noExpress,
        noFolders('trpc/ never imports http/.', 'http'),
      ),
    },
  },
  {
    // Messaging, platform services and housekeeping know nothing about the transports above them.
    files: [`${api}/messaging/**/*.ts`, `${api}/platform/**/*.ts`, `${api}/housekeeping/**/*.ts`],
    rules: {
      '@typescript-eslint/no-restricted-imports': restrict(
        everywhere,
        noExpress,
        noFolders('messaging/, platform/ and housekeeping/ never import http/ or trpc/.', 'http', 'trpc'),
      ),
    },
  },
);
