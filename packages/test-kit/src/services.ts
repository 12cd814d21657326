import { connect } from 'node:net';
import type { TestService } from './env';

const DEFAULT_PORTS: Record<string, number> = {
  'postgres:': 5432,
  'postgresql:': 5432,
  'amqp:': 5672,
  'amqps:': 5671,
  'redis:': 6379,
  'rediss:': 6379,
};

/**
 * Resolves once the service accepts a TCP connection; otherwise fails naming the service and the
 * variable to set, instead of a bare ECONNREFUSED deep inside a driver.
 */
export async function requireService(service: TestService, { timeoutMs = 2_000 } = {}): Promise<void> {
  const url = new URL(service.url);
  const host = url.hostname.replace(/^\[(.*)\]$/, '$1');
  const port = Number(url.port) || DEFAULT_PORTS[url.protocol];
  if (!port) throw new Error(`${service.variable}: no port in ${url.protocol}//${url.host}`);
  await new Promise<void>((resolve, reject) => {
    const socket = connect({ host, port, timeout: timeoutMs });
    const fail = (reason: string) => {
      socket.destroy();
      reject(
        new Error(
          `${service.name} is not reachable at ${url.hostname}:${port} (${reason}): start it, or set ${service.variable} to where it runs`,
        ),
      );
    };
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
    socket.once('timeout', () => fail(`no answer in ${timeoutMs} ms`));
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
  });
}
