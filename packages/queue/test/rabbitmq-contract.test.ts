import { describeBrokerContract } from './broker-contract';
import { rabbitFixture } from './helpers';

describeBrokerContract('rabbitmq', () => rabbitFixture());
