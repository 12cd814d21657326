import { defineConfig, mergeConfig } from 'vitest/config';
import shared from '../../vitest.shared.ts';

// Browser walks drive a real embedded server and Chromium: minutes, not seconds, on a busy host.
export default mergeConfig(
  shared,
  defineConfig({ test: { include: ['test/**/*.test.ts'], testTimeout: 240_000, hookTimeout: 180_000 } }),
);
