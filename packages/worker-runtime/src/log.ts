import { pino, type Logger } from 'pino';

/** The logging a worker's parts need; a pino logger is one. */
export interface WorkerLog {
  info(fields: object, message?: string): void;
  warn(fields: object, message?: string): void;
  error(fields: object, message?: string): void;
}

/** JSON lines on stdout, one logger per process; `service` names the worker in every line. */
export function createWorkerLogger(service: string, level: string): Logger {
  return pino({ level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
}
