import { createWorkerLogger } from '@stylelicense/worker-runtime';
import type { Logger } from 'pino';

/** JSON lines on stdout, one logger per process. */
export function createLogger(level: string): Logger {
  return createWorkerLogger('inference-worker', level);
}
