// Shared Vitest defaults; each package's vitest.config.ts spreads these.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Real services are shared: keep files sequential within a package by default.
    fileParallelism: false,
  },
});
