import type { TrainingProgress as ReportedProgress } from '@stylelicense/contracts';
import { trainingProgressSchema } from '@stylelicense/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ProgressBeat } from '../src/index';

const at = (step: number, epoch = 1) => ({
  epoch,
  totalEpochs: 5,
  step,
  totalSteps: 1000,
  percent: step / 10,
  etaSeconds: 100,
  loss: 0.1,
});

describe('ProgressBeat', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends the first report at once, coalesces fast steps, and always sends a new epoch', () => {
    const sent: ReportedProgress[] = [];
    const beat = new ProgressBeat({ send: (p) => sent.push(p), intervalMs: 60_000, heartbeatMs: 30_000 });
    beat.report(at(0, 0));
    for (let step = 1; step <= 199; step++) beat.report(at(step, 1));
    beat.report(at(200, 2));
    beat.stop();
    expect(sent.map((p) => [p.step, p.epoch])).toEqual([
      [0, 0],
      [1, 1],
      [200, 2],
    ]);
  });

  it('re-sends the latest report with a fresh updatedAt while nothing new happens (the lease heartbeat)', () => {
    // The clock is the test's: a busy machine cannot stretch or squeeze the beats.
    vi.useFakeTimers();
    const sent: ReportedProgress[] = [];
    const beat = new ProgressBeat({ send: (p) => sent.push(p), intervalMs: 60_000, heartbeatMs: 100 });
    beat.report(at(42));
    vi.advanceTimersByTime(450);
    beat.stop();
    const count = sent.length;
    expect(count).toBeGreaterThanOrEqual(3);
    expect(new Set(sent.map((p) => p.step))).toEqual(new Set([42]));
    expect(Date.parse(sent.at(-1)!.updatedAt)).toBeGreaterThan(Date.parse(sent[0]!.updatedAt));
    vi.advanceTimersByTime(10_000);
    expect(sent).toHaveLength(count); // stopped means silent
  });

  it('turns engine progress into the API schema: NaN loss and unknown ETA become null', () => {
    const report = ProgressBeat.fromEngine({
      step: 3,
      totalSteps: 1000,
      epoch: 1,
      totalEpochs: 5,
      percent: 0.3,
      etaSeconds: null,
      loss: Number.NaN,
      elapsedSeconds: 2,
    });
    expect(report).toEqual({
      epoch: 1,
      totalEpochs: 5,
      step: 3,
      totalSteps: 1000,
      percent: 0.3,
      etaSeconds: null,
      loss: null,
    });
    expect(trainingProgressSchema.safeParse({ ...report, updatedAt: new Date().toISOString() }).success).toBe(
      true,
    );
  });
});
