import { beforeAll } from 'vitest';
import { describeBrokerContract } from './broker-contract';
import { assertBrokerHealthy, rabbitFixture } from './helpers';

beforeAll(assertBrokerHealthy);

describeBrokerContract('rabbitmq', () => rabbitFixture());
