import { describeBrokerContract } from './broker-contract';
import { inProcessFixture } from './helpers';

describeBrokerContract('in-process', inProcessFixture);
