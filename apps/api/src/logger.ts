import { pino, type Logger } from 'pino';

export type { Logger };

/** JSON lines on stdout; one logger per process, children per request. */
export function createLogger(level: string): Logger {
  return pino({
    level,
    base: { service: 'api' },
    timestamp: pino.stdTimeFunctions.isoTime,
    // Credentials never reach the logs.
    redact: [
      'req.headers.cookie',
      'req.headers.authorization',
      'res.headers["set-cookie"]',
      'req.headers["webhook-signature"]',
    ],
  });
}
