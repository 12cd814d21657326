import { DiffusionError } from '../pipeline/errors';

export type PredictionType = 'epsilon' | 'v_prediction';
export type TimestepSpacing = 'leading' | 'trailing' | 'linspace';

/** The fields of diffusers' `scheduler_config.json` that shape the noise schedule. */
export interface NoiseScheduleConfig {
  className: string;
  numTrainTimesteps: number;
  betaStart: number;
  betaEnd: number;
  betaSchedule: 'linear' | 'scaled_linear';
  predictionType: PredictionType;
  timestepSpacing: TimestepSpacing;
  stepsOffset: number;
  useKarrasSigmas: boolean;
  /** LCM: the teacher's step count that LCM timesteps are picked from. */
  originalInferenceSteps: number;
  /** LCM: scales timesteps in the consistency boundary condition. */
  timestepScaling: number;
}

const DEFAULTS: NoiseScheduleConfig = {
  className: 'PNDMScheduler',
  numTrainTimesteps: 1000,
  betaStart: 0.00085,
  betaEnd: 0.012,
  betaSchedule: 'scaled_linear',
  predictionType: 'epsilon',
  timestepSpacing: 'leading',
  stepsOffset: 1,
  useKarrasSigmas: false,
  originalInferenceSteps: 50,
  timestepScaling: 10,
};

/** Reads a parsed `scheduler_config.json`, with Stable Diffusion 1.5's values as defaults. */
export function parseScheduleConfig(json: unknown): NoiseScheduleConfig {
  if (!json || typeof json !== 'object')
    throw new DiffusionError('MODEL_INVALID', 'scheduler_config.json must be an object');
  const raw = json as Record<string, unknown>;
  const num = (key: string, fallback: number): number => {
    const value = raw[key];
    if (value === undefined || value === null) return fallback;
    if (typeof value !== 'number' || !Number.isFinite(value)) {
      throw new DiffusionError('MODEL_INVALID', `scheduler_config.json: ${key} must be a number`);
    }
    return value;
  };
  const oneOf = <T extends string>(key: string, allowed: readonly T[], fallback: T): T => {
    const value = raw[key];
    if (value === undefined || value === null) return fallback;
    if (!allowed.includes(value as T)) {
      throw new DiffusionError(
        'MODEL_INVALID',
        `scheduler_config.json: unsupported ${key} ${JSON.stringify(value)}`,
      );
    }
    return value as T;
  };
  return {
    className: typeof raw._class_name === 'string' ? raw._class_name : DEFAULTS.className,
    numTrainTimesteps: num('num_train_timesteps', DEFAULTS.numTrainTimesteps),
    betaStart: num('beta_start', DEFAULTS.betaStart),
    betaEnd: num('beta_end', DEFAULTS.betaEnd),
    betaSchedule: oneOf('beta_schedule', ['linear', 'scaled_linear'], DEFAULTS.betaSchedule),
    predictionType: oneOf('prediction_type', ['epsilon', 'v_prediction'], DEFAULTS.predictionType),
    timestepSpacing: oneOf('timestep_spacing', ['leading', 'trailing', 'linspace'], DEFAULTS.timestepSpacing),
    stepsOffset: num('steps_offset', DEFAULTS.stepsOffset),
    useKarrasSigmas: raw.use_karras_sigmas === true,
    originalInferenceSteps: num('original_inference_steps', DEFAULTS.originalInferenceSteps),
    timestepScaling: num('timestep_scaling', DEFAULTS.timestepScaling),
  };
}

export function defaultScheduleConfig(overrides: Partial<NoiseScheduleConfig> = {}): NoiseScheduleConfig {
  return { ...DEFAULTS, ...overrides };
}

/** ᾱ_t for t = 0 … T−1 (cumulative product of 1 − β). */
export function alphasCumprod(config: NoiseScheduleConfig): Float64Array {
  const n = config.numTrainTimesteps;
  const out = new Float64Array(n);
  let product = 1;
  for (let t = 0; t < n; t++) {
    const fraction = n === 1 ? 0 : t / (n - 1);
    const beta =
      config.betaSchedule === 'scaled_linear'
        ? (Math.sqrt(config.betaStart) +
            fraction * (Math.sqrt(config.betaEnd) - Math.sqrt(config.betaStart))) **
          2
        : config.betaStart + fraction * (config.betaEnd - config.betaStart);
    product *= 1 - beta;
    out[t] = product;
  }
  return out;
}

/** σ_t = √((1 − ᾱ_t) / ᾱ_t): the noise level of the equivalent variance-exploding process. */
export function trainingSigmas(config: NoiseScheduleConfig): Float64Array {
  return alphasCumprod(config).map((a) => Math.sqrt((1 - a) / a));
}

/** Descending model timesteps for `steps` inference steps, following diffusers' spacing rules. */
export function spacedTimesteps(config: NoiseScheduleConfig, steps: number): Float64Array {
  const T = config.numTrainTimesteps;
  const out = new Float64Array(steps);
  for (let i = 0; i < steps; i++) {
    const k = steps - 1 - i; // ascending index, reversed into descending order
    switch (config.timestepSpacing) {
      case 'linspace':
        out[i] = steps === 1 ? 0 : ((T - 1) * k) / (steps - 1);
        break;
      case 'leading':
        out[i] = Math.round(k * Math.floor(T / steps)) + config.stepsOffset;
        break;
      case 'trailing':
        out[i] = roundHalfEven(T - i * (T / steps)) - 1;
        break;
    }
  }
  return out;
}

/** Linear interpolation of the training sigma table at (fractional) timestep t. */
export function sigmaAtTimestep(table: Float64Array, t: number): number {
  const clamped = Math.min(Math.max(t, 0), table.length - 1);
  const low = Math.floor(clamped);
  const high = Math.min(low + 1, table.length - 1);
  const w = clamped - low;
  return table[low]! * (1 - w) + table[high]! * w;
}

/** Inverse of the sigma table by interpolating log σ (diffusers' `_sigma_to_t`). */
export function timestepForSigma(table: Float64Array, sigma: number): number {
  const logSigma = Math.log(Math.max(sigma, 1e-10));
  const logs = Array.from(table, (s) => Math.log(s));
  let low = 0;
  while (low < logs.length - 2 && logSigma >= logs[low + 1]!) low++;
  const lowLog = logs[low]!;
  const highLog = logs[low + 1]!;
  const w = Math.min(Math.max((lowLog - logSigma) / (lowLog - highLog), 0), 1);
  return (1 - w) * low + w * (low + 1);
}

/** Karras et al. (2022) ρ = 7 spacing between the largest and smallest sigma. */
export function karrasSigmas(sigmaMax: number, sigmaMin: number, steps: number, rho = 7): Float64Array {
  const out = new Float64Array(steps);
  const maxInv = sigmaMax ** (1 / rho);
  const minInv = sigmaMin ** (1 / rho);
  for (let i = 0; i < steps; i++) {
    const ramp = steps === 1 ? 0 : i / (steps - 1);
    out[i] = (maxInv + ramp * (minInv - maxInv)) ** rho;
  }
  return out;
}

/** numpy's rounding (half to even), so fractional spacings match diffusers exactly. */
function roundHalfEven(x: number): number {
  const floor = Math.floor(x);
  const diff = x - floor;
  if (diff > 0.5) return floor + 1;
  if (diff < 0.5) return floor;
  return floor % 2 === 0 ? floor : floor + 1;
}
