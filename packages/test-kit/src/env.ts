/** A service the tests talk to: its name, where it runs, and the variable that moves it. */
export interface TestService {
  name: string;
  variable: string;
  url: string;
}

const env = process.env;

export const testServices = {
  /** A server the tests may create and drop `sl_test_*` databases on. */
  postgres: {
    name: 'PostgreSQL',
    variable: 'TEST_DATABASE_URL',
    url: env.TEST_DATABASE_URL ?? 'postgresql://postgres@127.0.0.1:5432/postgres',
  },
  // AMQP_URL too: the workers' own variable, so a shell set up for them points the tests (and the
  // child processes they start) at the same broker.
  rabbitmq: {
    name: 'RabbitMQ',
    variable: 'TEST_AMQP_URL',
    url: env.TEST_AMQP_URL ?? env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672',
  },
  redis: {
    name: 'Redis',
    variable: 'TEST_REDIS_URL',
    url: env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379',
  },
} as const satisfies Record<string, TestService>;
