import { createInProcessBroker, createRabbitBroker, type Broker } from '@stylelicense/queue';
import type { Logger } from '../logger';
import type { ReadinessProbe } from '../platform/health';

export interface BrokerSettings {
  driver: 'rabbitmq' | 'in-process';
  /** Required for the rabbitmq driver. */
  url?: string;
  /** Prepended to every queue and exchange name (tests, several deployments on one broker). */
  prefix: string;
  connectionName?: string;
}

/**
 * The API's broker connection. The topology (queues, retry tiers, parking) is declared with the
 * queue package's defaults so the API and the workers always declare the same arguments.
 */
export async function connectBroker(settings: BrokerSettings, log: Logger): Promise<Broker> {
  if (settings.driver === 'in-process') return createInProcessBroker({ prefix: settings.prefix });
  if (!settings.url) throw new Error('AMQP_URL is required for QUEUE_DRIVER=rabbitmq');
  return createRabbitBroker({
    url: settings.url,
    prefix: settings.prefix,
    connectionName: settings.connectionName ?? 'stylelicense-api',
    onEvent: (event) => {
      if (event.type === 'connected') log.info('broker connected');
      else log.warn({ broker: event }, `broker ${event.type}`);
    },
  });
}

/** `/api/ready`: the broker connection (down while RabbitMQ is unreachable). */
export function brokerProbe(broker: Broker): ReadinessProbe {
  return {
    name: 'broker',
    async check() {
      const health = await broker.checkHealth();
      if (!health.ok) throw new Error(health.error ?? 'broker unavailable');
      return { driver: health.driver };
    },
  };
}
