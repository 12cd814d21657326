import { percentOf, type GenerationProgress } from '@stylelicense/contracts';

/** Job percentages at which progress is reported (denoising fills 0–90 %; decode, stamp and upload the rest). */
export const PROGRESS_MILESTONES = [10, 25, 50, 75, 90] as const;
const DENOISE_SHARE = 0.9;

/**
 * Turns the pipeline's per-step callback into at most one report per milestone. A step that
 * jumps over several milestones (few steps) reports once, at its own percentage.
 */
export class ProgressMilestones {
  private next = 0;

  constructor(private readonly report: (progress: GenerationProgress) => void) {}

  /** The first report, as the job starts: the API moves the generation to `processing`. */
  started(totalSteps: number): void {
    this.report({ step: 0, totalSteps, percent: 0, etaSeconds: null });
  }

  onStep(step: number, totalSteps: number, etaSeconds: number): void {
    const percent = Math.round(percentOf(step, totalSteps) * DENOISE_SHARE * 10) / 10;
    let crossed = false;
    while (this.next < PROGRESS_MILESTONES.length && percent >= PROGRESS_MILESTONES[this.next]!) {
      this.next += 1;
      crossed = true;
    }
    if (crossed) {
      this.report({
        step,
        totalSteps,
        percent,
        etaSeconds: Number.isFinite(etaSeconds) ? Math.max(0, etaSeconds) : null,
      });
    }
  }
}
