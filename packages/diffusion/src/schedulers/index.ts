import { DiffusionError } from '../pipeline/errors';
import { LcmScheduler } from './lcm';
import type { NoiseScheduleConfig } from './noise-schedule';
import type { Scheduler, SchedulerName } from './scheduler';
import { DpmSolverMultistepScheduler, EulerAncestralScheduler } from './sigma-samplers';

export { SCHEDULER_NAMES, type Scheduler, type SchedulerName } from './scheduler';
export { SeededNoise } from './noise';
export {
  alphasCumprod,
  parseScheduleConfig,
  defaultScheduleConfig,
  type NoiseScheduleConfig,
  type PredictionType,
} from './noise-schedule';

/** The sampler a model folder asks for in `scheduler_config.json` (`_class_name`). */
export function defaultSchedulerName(config: NoiseScheduleConfig): SchedulerName {
  if (config.className === 'LCMScheduler') return 'lcm';
  if (config.className === 'DPMSolverMultistepScheduler')
    return config.useKarrasSigmas ? 'dpmpp-2m-karras' : 'dpmpp-2m';
  return 'euler-ancestral';
}

export function createScheduler(name: SchedulerName, config: NoiseScheduleConfig, steps: number): Scheduler {
  if (!Number.isInteger(steps) || steps < 1 || steps > 1000) {
    throw new DiffusionError('INVALID_INPUT', `steps must be an integer between 1 and 1000, got ${steps}`);
  }
  switch (name) {
    case 'euler-ancestral':
      return new EulerAncestralScheduler(config, steps);
    case 'dpmpp-2m':
      return new DpmSolverMultistepScheduler(config, steps, false);
    case 'dpmpp-2m-karras':
      return new DpmSolverMultistepScheduler(config, steps, true);
    case 'lcm':
      return new LcmScheduler(config, steps);
    default:
      throw new DiffusionError('INVALID_INPUT', `unknown scheduler "${String(name)}"`);
  }
}
