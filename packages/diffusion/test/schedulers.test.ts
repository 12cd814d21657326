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
import {
  alphasCumprod,
  spacedTimesteps,
  trainingSigmas,
  type NoiseScheduleConfig,
  type PredictionType,
} from '../src/schedulers/noise-schedule';
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
    const x1 = Float32Array.from(dpm.step(eps0, 0, x0, noise)); // a copy: the next step reuses the buffer
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

/**
 * The step formulas as they were written before they were fused into one loop, each intermediate
 * rounded to float32 in an array of its own. The fused steps must match them to float32 rounding.
 */
const reference = {
  denoised(
    config: NoiseScheduleConfig,
    sigma: number,
    model: Float32Array,
    sample: Float32Array,
  ): Float32Array {
    if (config.predictionType === 'v_prediction') {
      const a = -sigma / Math.sqrt(sigma ** 2 + 1);
      const b = 1 / (sigma ** 2 + 1);
      return sample.map((x, i) => model[i]! * a + x * b);
    }
    return sample.map((x, i) => x - sigma * model[i]!);
  },
  euler(
    s: EulerAncestralScheduler,
    config: NoiseScheduleConfig,
    step: number,
    model: Float32Array,
    sample: Float32Array,
    noise: SeededNoise,
  ): Float32Array {
    const sigma = s.sigmas[step]!;
    const sigmaTo = s.sigmas[step + 1]!;
    const sigmaUp = Math.sqrt((sigmaTo ** 2 * (sigma ** 2 - sigmaTo ** 2)) / sigma ** 2);
    const sigmaDown = Math.sqrt(sigmaTo ** 2 - sigmaUp ** 2);
    const x0 = reference.denoised(config, sigma, model, sample);
    const out = sample.map((x, i) => x0[i]! + (x - x0[i]!) * (sigmaDown / sigma));
    if (sigmaUp > 0) for (let i = 0; i < out.length; i++) out[i] = out[i]! + noise.nextGaussian() * sigmaUp;
    return out;
  },
  dpm(
    s: DpmSolverMultistepScheduler,
    config: NoiseScheduleConfig,
    step: number,
    model: Float32Array,
    sample: Float32Array,
    state: { previous?: Float32Array },
  ): Float32Array {
    const sigma = s.sigmas[step]!;
    const sigmaNext = s.sigmas[step + 1]!;
    const denoised = reference.denoised(config, sigma, model, sample);
    let out = denoised;
    if (sigmaNext !== 0) {
      const h = Math.log(sigma) - Math.log(sigmaNext);
      let target = denoised;
      if (state.previous && step > 0) {
        const r = (Math.log(s.sigmas[step - 1]!) - Math.log(sigma)) / h;
        target = denoised.map((d, i) => (1 + 1 / (2 * r)) * d - (1 / (2 * r)) * state.previous![i]!);
      }
      out = sample.map((x, i) => (sigmaNext / sigma) * x - Math.expm1(-h) * target[i]!);
    }
    state.previous = denoised;
    return out;
  },
  lcm(
    s: LcmScheduler,
    config: NoiseScheduleConfig,
    step: number,
    model: Float32Array,
    sample: Float32Array,
    noise: SeededNoise,
  ): Float32Array {
    const alphas = alphasCumprod(config);
    const t = s.timesteps[step]!;
    const alpha = alphas[t]!;
    const scaled = t * config.timestepScaling;
    const cSkip = 0.25 / (scaled ** 2 + 0.25);
    const cOut = scaled / Math.sqrt(scaled ** 2 + 0.25);
    const denoised = sample.map((x, i) => {
      const x0 =
        config.predictionType === 'v_prediction'
          ? Math.sqrt(alpha) * x - Math.sqrt(1 - alpha) * model[i]!
          : (x - Math.sqrt(1 - alpha) * model[i]!) / Math.sqrt(alpha);
      return cOut * x0 + cSkip * x;
    });
    if (step === s.timesteps.length - 1) return denoised;
    const alphaPrev = alphas[s.timesteps[step + 1]!]!;
    return denoised.map((d) => Math.sqrt(alphaPrev) * d + Math.sqrt(1 - alphaPrev) * noise.nextGaussian());
  },
};

describe('fused scheduler steps', () => {
  const cases: [SchedulerName, PredictionType, number][] = [
    ['euler-ancestral', 'epsilon', 25],
    ['euler-ancestral', 'v_prediction', 25],
    ['dpmpp-2m', 'epsilon', 20],
    ['dpmpp-2m-karras', 'epsilon', 25],
    ['dpmpp-2m-karras', 'v_prediction', 25],
    ['lcm', 'epsilon', 4],
    ['lcm', 'v_prediction', 4],
  ];
  for (const [name, predictionType, steps] of cases) {
    it(`${name} (${predictionType}) matches the unfused formulas to float32 rounding on random inputs`, () => {
      const config = { ...sd15, predictionType };
      const scheduler = createScheduler(name, config, steps);
      const inputs = new SeededNoise(9);
      const noise = new SeededNoise(10);
      const referenceNoise = new SeededNoise(10);
      const dpmState: { previous?: Float32Array } = {};
      const n = 4096;
      let worst = 0;
      for (let step = 0; step < scheduler.timesteps.length; step++) {
        const spread =
          scheduler instanceof LcmScheduler
            ? 1
            : Math.sqrt((scheduler as EulerAncestralScheduler).sigmas[step]! ** 2 + 1);
        const sample = inputs.gaussian(n).map((v) => v * spread);
        const model = inputs.gaussian(n);
        const got = scheduler.step(model, step, sample, noise);
        const expected =
          scheduler instanceof EulerAncestralScheduler
            ? reference.euler(scheduler, config, step, model, sample, referenceNoise)
            : scheduler instanceof DpmSolverMultistepScheduler
              ? reference.dpm(scheduler, config, step, model, sample, dpmState)
              : reference.lcm(scheduler as LcmScheduler, config, step, model, sample, referenceNoise);
        // Measured against the size of what was added up: the fused loop rounds once, the unfused
        // formulas after every operation, so they differ by a few float32 ulps of those terms.
        for (let i = 0; i < n; i++) {
          const size = 1 + Math.abs(sample[i]!) + Math.abs(model[i]!) * spread + Math.abs(expected[i]!);
          worst = Math.max(worst, Math.abs(got[i]! - expected[i]!) / size);
        }
      }
      expect(worst).toBeLessThan(2 ** -21);
      // Both drew the same noise, in the same order.
      expect(noise.nextUint32()).toBe(referenceNoise.nextUint32());
    });
  }

  it('gives the same samples when its output is passed back in as the next sample, as the pipeline does', () => {
    for (const name of ['euler-ancestral', 'dpmpp-2m-karras', 'lcm'] as const) {
      const inPlace = createScheduler(name, sd15, 6);
      const copied = createScheduler(name, sd15, 6);
      const [noiseA, noiseB, inputs] = [new SeededNoise(4), new SeededNoise(4), new SeededNoise(5)];
      let a = inputs.gaussian(256);
      let b = Float32Array.from(a);
      for (let step = 0; step < inPlace.timesteps.length; step++) {
        const model = inputs.gaussian(256);
        a = inPlace.step(model, step, a, noiseA);
        b = Float32Array.from(copied.step(model, step, Float32Array.from(b), noiseB));
        expect(a, `${name} step ${step}`).toEqual(b);
      }
      expect(inPlace.step(inputs.gaussian(256), 0, a, noiseA)).toBe(a); // one buffer, reused
    }
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

  it('is standard normal: moments, tails and the whole distribution (Kolmogorov–Smirnov)', () => {
    const n = 1_000_000;
    const values = new SeededNoise(7).gaussian(n);
    let mean = 0;
    for (const v of values) mean += v / n;
    let [m2, m3, m4, beyond2, beyond3, beyond4] = [0, 0, 0, 0, 0, 0];
    for (const v of values) {
      const d = v - mean;
      m2 += (d * d) / n;
      m3 += (d * d * d) / n;
      m4 += (d * d * d * d) / n;
      const size = Math.abs(v);
      if (size > 2) beyond2++;
      if (size > 3) beyond3++;
      if (size > 4) beyond4++;
    }
    // Tolerances are about five standard errors for a million draws.
    expect(Math.abs(mean)).toBeLessThan(0.005);
    expect(Math.abs(m2 - 1)).toBeLessThan(0.007);
    expect(Math.abs(m3 / m2 ** 1.5)).toBeLessThan(0.012); // skewness 0
    expect(Math.abs(m4 / m2 ** 2 - 3)).toBeLessThan(0.025); // kurtosis 3
    // P(|z| > 2, 3, 4) of the normal distribution; beyond 3.65 the values come from the tail method.
    expect(Math.abs(beyond2 / n - 0.0455003)).toBeLessThan(0.001);
    expect(Math.abs(beyond3 / n - 0.0026998)).toBeLessThan(0.00026);
    expect(Math.abs(beyond4 / n - 0.00006334)).toBeLessThan(0.00004);
    // Largest gap between the empirical and the normal CDF; 0.00195 is the 0.1 % critical value.
    const sorted = Float64Array.from(values).sort();
    let gap = 0;
    for (let i = 0; i < n; i++) {
      const cdf = normalCdf(sorted[i]!);
      gap = Math.max(gap, Math.abs(cdf - i / n), Math.abs(cdf - (i + 1) / n));
    }
    expect(gap).toBeLessThan(0.00195);
  });

  it('pins the first values so a change to the generator is noticed', () => {
    // xoshiro128** seeded by splitmix32(0), cross-checked with a Python port; the normals too
    // (an independent Python port of the Ziggurat draw order in noise.ts agreed on 100 000 values).
    const generator = new SeededNoise(0);
    expect([generator.nextUint32(), generator.nextUint32()]).toEqual([3809008728, 1133695204]);
    const [z0, z1, z2] = new SeededNoise(0).gaussian(3);
    expect(z0).toBeCloseTo(1.61626871, 6);
    expect(z1).toBeCloseTo(0.20657822, 6);
    expect(z2).toBeCloseTo(-0.01722827, 6);
    expect(() => new SeededNoise(-1)).toThrow(/seed/);
    expect(() => new SeededNoise(1.5)).toThrow(/seed/);
  });
});

/** Φ(x) through erf (Abramowitz & Stegun 7.1.26, error below 1.5e-7). */
function normalCdf(x: number): number {
  const z = Math.abs(x) / Math.SQRT2;
  const t = 1 / (1 + 0.3275911 * z);
  const poly =
    t * (0.254829592 + t * (-0.284496736 + t * (1.421413741 + t * (-1.453152027 + t * 1.061405429))));
  const erf = 1 - poly * Math.exp(-z * z);
  return x >= 0 ? (1 + erf) / 2 : (1 - erf) / 2;
}

it('parses defaults for a minimal config', () => {
  expect(parseScheduleConfig({})).toEqual(defaultScheduleConfig());
});
