import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectBroker, stopOnSignals, type WorkerLog } from '../src/index';

const messages: string[] = [];
const log: WorkerLog = {
  info: (_fields, message) => messages.push(`info ${message}`),
  warn: (_fields, message) => messages.push(`warn ${message}`),
  error: (_fields, message) => messages.push(`error ${message}`),
};

// Only the signal listeners a test added are removed; the test runner's own stay.
let before: Record<'SIGTERM' | 'SIGINT', NodeJS.SignalsListener[]>;
beforeEach(() => {
  before = { SIGTERM: process.listeners('SIGTERM'), SIGINT: process.listeners('SIGINT') };
});
afterEach(() => {
  messages.length = 0;
  process.exitCode = undefined;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    for (const listener of process.listeners(signal)) {
      if (!before[signal].includes(listener)) process.removeListener(signal, listener);
    }
  }
});

describe('process plumbing', () => {
  it('the in-process broker comes with a warning that nothing outside can publish to it', async () => {
    const broker = await connectBroker({ driver: 'in-process', prefix: 'wr-test.' }, 'worker-1', log);
    expect(messages).toEqual([
      'warn QUEUE_DRIVER=in-process: this process only sees jobs published inside it (set AMQP_URL)',
    ]);
    expect((await broker.checkHealth()).ok).toBe(true);
    await broker.close();
  });

  it('a stop signal stops the worker, then the broker, then the health server, once', async () => {
    const order: string[] = [];
    const shutdown = stopOnSignals(
      {
        worker: { stop: async () => void order.push('worker') },
        broker: { close: async (options) => void order.push(`broker ${options?.graceMs}`) },
        health: { close: () => order.push('health') },
      },
      log,
    );
    await shutdown('SIGTERM');
    await shutdown('SIGTERM');
    expect(order).toEqual(['worker', 'broker 1000', 'health']);
    expect(messages).toEqual(['info shutting down']);
    expect(process.exitCode).toBeUndefined();
  });

  it('a failed stop is logged, still closes the health server, and sets exit code 1', async () => {
    const order: string[] = [];
    const shutdown = stopOnSignals(
      {
        worker: { stop: () => Promise.reject(new Error('stuck')) },
        broker: { close: async () => void order.push('broker') },
        health: { close: () => order.push('health') },
      },
      log,
    );
    await shutdown('SIGINT');
    expect(order).toEqual(['health']);
    expect(messages).toEqual(['info shutting down', 'error shutdown failed']);
    expect(process.exitCode).toBe(1);
  });
});
