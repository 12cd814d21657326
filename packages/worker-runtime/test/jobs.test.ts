import { createInProcessBroker, JOB_QUEUES } from '@stylelicense/queue';
import { describe, expect, it } from 'vitest';
import { takeJobsOneAtATime, untilAborted, type JobIntake } from '../src/index';

const prefix = () => `wr-jobs-${process.pid}-${Math.random().toString(36).slice(2)}.`;

describe('taking jobs one at a time', () => {
  it('works one job at a time, in order, and counts the job in hand', async () => {
    const broker = createInProcessBroker({ prefix: prefix() });
    const seen: string[] = [];
    const inHandDuringWork: number[] = [];
    let running = 0;
    let maxConcurrent = 0;
    let allDone!: () => void;
    const done = new Promise<void>((resolve) => (allDone = resolve));
    const intake: JobIntake = await takeJobsOneAtATime(broker, JOB_QUEUES.training, async (delivery) => {
      running += 1;
      maxConcurrent = Math.max(maxConcurrent, running);
      await new Promise((r) => setTimeout(r, 20));
      inHandDuringWork.push(intake.inHand);
      seen.push((delivery.body as { n: string }).n);
      running -= 1;
      if (seen.length === 3) allDone();
    });
    for (const n of ['a', 'b', 'c']) await broker.publish(JOB_QUEUES.training, { n });
    await done;
    expect(seen).toEqual(['a', 'b', 'c']);
    expect(maxConcurrent).toBe(1);
    expect(inHandDuringWork).toEqual([1, 1, 1]);
    await broker.close();
  });

  it('on stop lets the job in hand run out the grace period, then aborts it with the reason', async () => {
    const broker = createInProcessBroker({ prefix: prefix() });
    let started!: () => void;
    const jobStarted = new Promise<void>((resolve) => (started = resolve));
    let abortedWith: unknown;
    const intake = await takeJobsOneAtATime(broker, JOB_QUEUES.training, async (_delivery, signal) => {
      started();
      await new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
      abortedWith = signal.reason;
    });
    await broker.publish(JOB_QUEUES.training, { n: 'long' });
    await jobStarted;
    expect(intake.inHand).toBe(1);
    const reason = new Error('worker shutting down');
    const startedStop = Date.now();
    await intake.stop(100, reason);
    expect(Date.now() - startedStop).toBeGreaterThanOrEqual(90);
    expect(abortedWith).toBe(reason);
    expect(intake.inHand).toBe(0);
    await broker.close({ graceMs: 0 });
  });
});

describe('untilAborted', () => {
  it('passes the result through, or rejects with the reason as soon as the signal aborts', async () => {
    await expect(untilAborted(Promise.resolve('stored'), new AbortController().signal)).resolves.toBe(
      'stored',
    );

    const stopping = new AbortController();
    const never = new Promise<string>(() => {});
    const waiting = untilAborted(never, stopping.signal);
    const reason = new Error('worker shutting down');
    stopping.abort(reason);
    await expect(waiting).rejects.toBe(reason);

    await expect(untilAborted(Promise.resolve('late'), stopping.signal)).rejects.toBe(reason);
  });
});
