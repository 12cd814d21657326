import { describe, expect, it } from 'vitest';
import { createInProcessBroker, JOB_QUEUES, type JobDelivery } from '../src';
import { describeBrokerContract } from './broker-contract';
import { inProcessFixture } from './helpers';

describeBrokerContract('in-process', inProcessFixture);

describe('in-process driver: one process, one set of queues', () => {
  it('lets the API and a worker of the same process share jobs without wiring a hub', async () => {
    const api = createInProcessBroker({ prefix: 'embedded.' });
    const worker = createInProcessBroker({ prefix: 'embedded.' });
    const seen: JobDelivery[] = [];
    await worker.consume(JOB_QUEUES.training, async (delivery) => void seen.push(delivery));
    await api.publish(JOB_QUEUES.training, { v: 1, styleId: 'style_1' });
    await expect.poll(() => seen.length).toBe(1);
    expect(() => createInProcessBroker({ prefix: 'embedded.', retryDelaysMs: [1] })).toThrow(
      /another topology/,
    );
    await api.close();
    await worker.close();
    // Both gone: the next broker under that prefix starts empty, with any topology.
    const fresh = createInProcessBroker({ prefix: 'embedded.', retryDelaysMs: [1] });
    await fresh.close();
  });
});
