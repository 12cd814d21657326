import { createInProcessBroker, createRabbitBroker, type Broker } from '@stylelicense/queue';
import type { BrokerSettings } from './env';
import type { WorkerLog } from './log';

/**
 * The standalone process's broker: RabbitMQ (named after the worker, connection events logged),
 * or an in-process one with a warning, since nothing outside the process can publish to it.
 */
export async function connectBroker(
  broker: BrokerSettings,
  workerId: string,
  log: WorkerLog,
): Promise<Broker> {
  if (broker.driver === 'in-process') {
    log.warn({}, 'QUEUE_DRIVER=in-process: this process only sees jobs published inside it (set AMQP_URL)');
    return createInProcessBroker({ prefix: broker.prefix });
  }
  return createRabbitBroker({
    url: broker.url!,
    prefix: broker.prefix,
    connectionName: workerId,
    onEvent: (event) =>
      event.type === 'connected'
        ? log.info({}, 'broker connected')
        : log.warn({ broker: event }, `broker ${event.type}`),
  });
}

export interface RunningWorker {
  worker: { stop(): Promise<void> };
  broker: Pick<Broker, 'close'>;
  health: { close(): unknown };
}

/**
 * SIGTERM / SIGINT stop the worker once: the job in hand finishes or goes back to the queue (the
 * worker's `stop`), then the broker disconnects and the health server closes. A failed stop
 * sets exit code 1. `forceExitAfterMs`: exit even if something (a stuck socket) still holds the
 * event loop that long after the stop.
 */
export function stopOnSignals(
  running: RunningWorker,
  log: WorkerLog,
  options: { forceExitAfterMs?: number } = {},
): (signal: string) => Promise<void> {
  let stopping = false;
  async function shutdown(signal: string): Promise<void> {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down');
    try {
      await running.worker.stop();
      await running.broker.close({ graceMs: 1_000 });
    } catch (error) {
      log.error({ err: error }, 'shutdown failed');
      process.exitCode = 1;
    } finally {
      running.health.close();
      if (options.forceExitAfterMs !== undefined)
        setTimeout(() => process.exit(), options.forceExitAfterMs).unref();
    }
  }
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  process.once('SIGINT', () => void shutdown('SIGINT'));
  return shutdown;
}
