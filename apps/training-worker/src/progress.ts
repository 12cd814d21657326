import type { TrainingProgress as ReportedProgress } from '@stylelicense/contracts';
import type { TrainingProgress } from './engine/types';

export interface ProgressBeatOptions {
  /** Sends one report (the reporter's fire-and-forget progress). */
  send(progress: ReportedProgress): void;
  /** Step reports closer together than this wait for the next step (or the heartbeat). */
  intervalMs: number;
  /** The last report is sent again after this long without one (silent phases: dataset, loading, upload). */
  heartbeatMs: number;
}

/**
 * Turns the trainer's many step events (several a second) into the reports the owner sees: the
 * first one at once, then at most one per `intervalMs` (a new epoch always goes out), and a
 * heartbeat that re-sends the latest with a fresh `updatedAt` so the API's lease never lapses
 * while the worker is alive.
 */
export class ProgressBeat {
  private latest: ReportedProgress | null = null;
  private lastSentAt = 0;
  private lastSentEpoch: number | null = null;
  private heartbeat: NodeJS.Timeout | undefined;
  private stopped = false;

  constructor(private readonly options: ProgressBeatOptions) {}

  /** A report in the API's shape from the engine's progress event. */
  static fromEngine(progress: TrainingProgress): Omit<ReportedProgress, 'updatedAt'> {
    return {
      epoch: progress.epoch,
      totalEpochs: progress.totalEpochs >= 1 ? progress.totalEpochs : null,
      step: progress.step,
      totalSteps: Math.max(1, progress.totalSteps),
      percent: Math.min(100, Math.max(0, progress.percent)),
      etaSeconds:
        progress.etaSeconds !== null && Number.isFinite(progress.etaSeconds)
          ? Math.max(0, progress.etaSeconds)
          : null,
      // A diverged run prints `avr_loss=nan`; JSON has no NaN, and "unknown" is the honest value.
      loss: progress.loss !== null && Number.isFinite(progress.loss) ? progress.loss : null,
    };
  }

  report(progress: Omit<ReportedProgress, 'updatedAt'>, options: { force?: boolean } = {}): void {
    if (this.stopped) return;
    const now = Date.now();
    this.latest = { ...progress, updatedAt: new Date(now).toISOString() };
    const newEpoch = progress.epoch !== this.lastSentEpoch;
    if (
      options.force ||
      this.lastSentAt === 0 ||
      newEpoch ||
      now - this.lastSentAt >= this.options.intervalMs
    )
      this.flush();
  }

  /** The latest report with a fresh `updatedAt` (for a report that carries something else, e.g. a sample). */
  current(): ReportedProgress | null {
    return this.latest && { ...this.latest, updatedAt: new Date().toISOString() };
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.heartbeat);
  }

  private flush(): void {
    if (!this.latest || this.stopped) return;
    const now = Date.now();
    const report = { ...this.latest, updatedAt: new Date(now).toISOString() };
    this.lastSentAt = now;
    this.lastSentEpoch = report.epoch;
    this.options.send(report);
    clearTimeout(this.heartbeat);
    this.heartbeat = setTimeout(() => this.flush(), this.options.heartbeatMs);
    this.heartbeat.unref();
  }
}
