import { pino, type Logger } from 'pino';

/** JSON lines on stdout, one logger per process. */
export function createLogger(level: string): Logger {
  return pino({ level, base: { service: 'training-worker' }, timestamp: pino.stdTimeFunctions.isoTime });
}
