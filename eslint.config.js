// One flat config for the whole workspace.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import globals from 'globals';

export default tseslint.config(
  {
    ignores: ['**/node_modules/**', '**/dist/**', '**/generated/**', '**/.data/**', '**/.turbo/**', '.gpu/**'],
  },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { ...globals.node } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // Configuration is read and validated in one place per process.
      'no-restricted-properties': [
        'error',
        { object: 'process', property: 'env', message: 'Read configuration through env.ts only.' },
      ],
    },
  },
  {
    // The validated configuration modules, scripts and test harnesses may read the environment.
    files: ['**/env.ts', '**/*.config.ts', '**/scripts/**', '**/test/**', '**/*.test.ts', '**/bench/**'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
