// Shared Vitest defaults; each package's vitest.config.ts spreads these.
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    environment: 'node',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // expect.poll waits on real databases and brokers; on a busy shared machine its 1 s default is
    // a coin toss, so a condition gets as long as a test would.
    expect: { poll: { timeout: 20_000 } },
    // Real services are shared: keep files sequential within a package by default.
    fileParallelism: false,
  },
});
