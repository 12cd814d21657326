/**
 * What other workspace packages may import: the router's type (typed clients import it type-only)
 * and the runtime, for embedding the API in one process and for end-to-end tests.
 */
export type { AppRouter } from './app-router';
export { startApi, type ApiRuntime } from './runtime';
export { loadConfig, type ApiConfig } from './env';
export { createLogger } from './logger';
