import { describe, expect, it } from 'vitest';
import {
  createScheduler,
  defaultScheduleConfig,
  defaultSchedulerName,
  parseScheduleConfig,
  SeededNoise,
  type SchedulerName,
} from '../src/schedulers';
import { LcmScheduler } from '../src/schedulers/lcm';
import { alphasCumprod, spacedTimesteps, trainingSigmas } from '../src/schedulers/noise-schedule';
import { DpmSolverMultistepScheduler, EulerAncestralScheduler } from '../src/schedulers/sigma-samplers';

// Stable Diffusion 1.5's scheduler_config.json.
const sd15 = parseScheduleConfig({
  _class_name: 'PNDMScheduler',
  beta_start: 0.00085,
  beta_end: 0.012,
  beta_schedule: 'scaled_linear',
  num_train_timesteps: 1000,
  set_alpha_to_one: false,
  skip_prk_steps: true,
  steps_offset: 1,
});

// Reference values derived independently (diffusers' formulas in float64 Python).
describe('noise schedule', () => {
  it('has the SD sigma range 0.0292 … 14.6146 for scaled_linear betas', () => {
    const sigmas = trainingSigmas(sd15);
    expect(sigmas[0]).toBeCloseTo(0.029167158, 8);
    expect(sigmas[999]).toBeCloseTo(14.614641229, 6);
    expect(alphasCumprod(sd15)[999]).toBeCloseTo(0.004660098513, 10);
  });

  it('spaces timesteps like diffusers (leading + offset, trailing, linspace)', () => {
    const leading = spacedTimesteps(sd15, 20);
    expect(leading[0]).toBe(951);
    expect(leading[1]).toBe(901);
    expect(leading[19]).toBe(1);
    expect(Array.from(spacedTimesteps({ ...sd15, timestepSpacing: 'trailing' }, 4))).toEqual([
      999, 749, 499, 249,
    ]);
    // numpy rounds half to even: 1000 − 3·62.5 = 812.5 → 812.
    expect(spacedTimesteps({ ...sd15, timestepSpacing: 'trailing' }, 16)[3]).toBe(811);
    const linspace = spacedTimesteps({ ...sd15, timestepSpacing: 'linspace' }, 1000);
    expect(linspace[0]).toBe(999);
    expect(linspace[999]).toBe(0);
  });

  it('uses the full sigma table for 1000 linspace steps', () => {
    const euler = new EulerAncestralScheduler({ ...sd15, timestepSpacing: 'linspace' }, 1000);
    expect(euler.sigmas[0]).toBeCloseTo(14.6146, 4);
    expect(euler.sigmas[999]).toBeCloseTo(0.0292, 4);
    expect(euler.sigmas[1000]).toBe(0);
    expect(euler.initNoiseSigma).toBeCloseTo(14.6146, 4);
  });

  it('rejects unsupported configurations clearly', () => {
    expect(() => parseScheduleConfig({ beta_schedule: 'squaredcos_cap_v2' })).toThrow(/beta_schedule/);
    expect(() => parseScheduleConfig({ prediction_type: 'sample' })).toThrow(/prediction_type/);
    expect(() => createScheduler('euler-ancestral', sd15, 0)).toThrow(
      expect.objectContaining({ code: 'INVALID_INPUT' }),
    );
  });
});

describe('Euler ancestral', () => {
  it('interpolates sigmas at the leading timesteps', () => {
    const euler = new EulerAncestralScheduler(sd15, 20);
    expect(euler.sigmas[0]).toBeCloseTo(11.028331165, 6);
    expect(euler.sigmas[1]).toBeCloseTo(8.39068477, 6);
    expect(euler.sigmas[19]).toBeCloseTo(0.041314412, 7);
    expect(euler.initNoiseSigma).toBeCloseTo(11.073576129, 6);
    expect(euler.modelInputScale(0)).toBeCloseTo(1 / 11.073576129, 6);
  });
});

describe('DPM-Solver++ 2M', () => {
  it('uses Karras sigmas and maps them back to fractional timesteps', () => {
    const dpm = new DpmSolverMultistepScheduler(sd15, 20, true);
    expect(dpm.sigmas[0]).toBeCloseTo(11.028331165, 6);
    expect(dpm.sigmas[1]).toBeCloseTo(8.979168504, 6);
    expect(dpm.sigmas[10]).toBeCloseTo(1.009111316, 6);
    expect(dpm.sigmas[19]).toBeCloseTo(0.041314412, 7);
    expect(dpm.timesteps[1]).toBeCloseTo(913.7394178, 4);
    expect(dpm.timesteps[10]).toBeCloseTo(356.6147759, 4);
  });

  it('follows a hand-computed second-order step', () => {
    const dpm = new DpmSolverMultistepScheduler(sd15, 3, false);
    const [s0, s1, s2] = [dpm.sigmas[0]!, dpm.sigmas[1]!, dpm.sigmas[2]!];
    const noise = new SeededNoise(1);
    const x0 = new Float32Array([2]);
    const eps0 = new Float32Array([0.5]);
    const x1 = dpm.step(eps0, 0, x0, noise);
    const d0 = 2 - s0 * 0.5;
    expect(x1[0]).toBeCloseTo((s1 / s0) * 2 - Math.expm1(-(Math.log(s0) - Math.log(s1))) * d0, 4);
    const x2 = dpm.step(new Float32Array([0.25]), 1, x1, noise);
    const d1 = x1[0]! - s1 * 0.25;
    const h = Math.log(s1) - Math.log(s2);
    const r = (Math.log(s0) - Math.log(s1)) / h;
    const target = (1 + 1 / (2 * r)) * d1 - (1 / (2 * r)) * d0;
    expect(x2[0]).toBeCloseTo((s2 / s1) * x1[0]! - Math.expm1(-h) * target, 4);
  });
});

describe('LCM / one-step', () => {
  it('picks timesteps from the 50-step teacher schedule', () => {
    expect(Array.from(new LcmScheduler(sd15, 4).timesteps)).toEqual([999, 759, 499, 259]);
    expect(Array.from(new LcmScheduler(sd15, 1).timesteps)).toEqual([999]);
  });

  it('is chosen for an LCMScheduler config', () => {
    expect(defaultSchedulerName(parseScheduleConfig({ _class_name: 'LCMScheduler' }))).toBe('lcm');
    expect(
      defaultSchedulerName(parseScheduleConfig({ _class_name: 'EulerAncestralDiscreteScheduler' })),
    ).toBe('euler-ancestral');
    expect(
      defaultSchedulerName(
        parseScheduleConfig({ _class_name: 'DPMSolverMultistepScheduler', use_karras_sigmas: true }),
      ),
    ).toBe('dpmpp-2m-karras');
  });
});

/**
 * With an ideal denoiser (the UNet returns exactly the noise that separates the input from a
 * known clean latent) every sampler must land on that clean latent.
 */
describe('every sampler converges to the clean latent with an ideal denoiser', () => {
  const clean = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 0.8);
  const alphas = alphasCumprod(sd15);
  const alphaAt = (t: number): number => {
    const low = Math.floor(t);
    const w = t - low;
    const sigmaLow = Math.sqrt((1 - alphas[low]!) / alphas[low]!);
    const sigmaHigh = Math.sqrt((1 - alphas[Math.min(low + 1, 999)]!) / alphas[Math.min(low + 1, 999)]!);
    const sigma = sigmaLow * (1 - w) + sigmaHigh * w;
    return 1 / (sigma ** 2 + 1);
  };
  const cases: [SchedulerName, number][] = [
    ['euler-ancestral', 20],
    ['dpmpp-2m', 20],
    ['dpmpp-2m-karras', 12],
    ['lcm', 4],
    ['lcm', 1],
  ];
  for (const [name, steps] of cases) {
    it(`${name}, ${steps} steps`, () => {
      const scheduler = createScheduler(name, sd15, steps);
      const noise = new SeededNoise(42);
      let sample: Float32Array = noise.gaussian(clean.length).map((v) => v * scheduler.initNoiseSigma);
      for (let i = 0; i < scheduler.timesteps.length; i++) {
        const scale = scheduler.modelInputScale(i);
        const input = sample.map((v) => v * scale);
        const a = alphaAt(scheduler.timesteps[i]!);
        // input = √ᾱ·x₀ + √(1−ᾱ)·ε  ⇒  ε = (input − √ᾱ·x₀) / √(1−ᾱ)
        const eps = input.map((v, j) => (v - Math.sqrt(a) * clean[j]!) / Math.sqrt(1 - a));
        sample = scheduler.step(eps, i, sample, noise);
      }
      for (let j = 0; j < clean.length; j++) expect(sample[j]).toBeCloseTo(clean[j]!, 3);
    });
  }
});

describe('seeded noise', () => {
  it('is reproducible for a seed and differs between seeds', () => {
    const a = new SeededNoise(1234).gaussian(1000);
    const b = new SeededNoise(1234).gaussian(1000);
    const c = new SeededNoise(1235).gaussian(1000);
    expect(a).toEqual(b);
    expect(a).not.toEqual(c);
    // Large seeds use their high bits too.
    expect(new SeededNoise(2 ** 40).gaussian(8)).not.toEqual(new SeededNoise(2 ** 40 + 2 ** 33).gaussian(8));
  });

  it('is standard normal', () => {
    const values = new SeededNoise(7).gaussian(200_000);
    const mean = values.reduce((s, v) => s + v, 0) / values.length;
    const variance = values.reduce((s, v) => s + (v - mean) ** 2, 0) / values.length;
    expect(Math.abs(mean)).toBeLessThan(0.01);
    expect(variance).toBeGreaterThan(0.98);
    expect(variance).toBeLessThan(1.02);
  });

  it('pins the first values so a change to the generator is noticed', () => {
    // xoshiro128** seeded by splitmix32(0), cross-checked with a Python port.
    const generator = new SeededNoise(0);
    expect([generator.nextUint32(), generator.nextUint32()]).toEqual([3809008728, 1133695204]);
    const [z0, z1] = new SeededNoise(0).gaussian(2);
    expect(z0).toBeCloseTo(-0.18286387, 6);
    expect(z1).toBeCloseTo(2.07959431, 6);
    expect(() => new SeededNoise(-1)).toThrow(/seed/);
    expect(() => new SeededNoise(1.5)).toThrow(/seed/);
  });
});

it('parses defaults for a minimal config', () => {
  expect(parseScheduleConfig({})).toEqual(defaultScheduleConfig());
});
