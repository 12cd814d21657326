// SD 1.5-sized synthetic model on ONNX Runtime CUDA: ms per UNet step (fp16, batch 2 = CFG,
// 64×64 latents) for the plain and the fused (com.microsoft contrib ops) UNet, and the end-to-end
// time of a 25-step 512×512 image through the pipeline.
//
// Bundle here, run on the GPU host (see shared/gpu/README.md; onnxruntime-node comes from NODE_PATH):
//   pnpm --filter @stylelicense/diffusion bench:gpu:bundle      → packages/diffusion/dist/gpu-sd15.mjs
//   node packages/diffusion/dist/gpu-sd15.mjs [--variants plain,fused] [--steps 25] [--runs 20]
//        [--images 3] [--device 0] [--work /tmp/sd15] [--preset sd15|tiny] [--provider cuda|cpu]
// `--preset tiny --provider cpu` is a quick local check of the bundle.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildSyntheticModel, type SyntheticPreset } from '../src/synthetic';
import { DiffusionEngine, isDiffusionError, type ExecutionProviderConfig } from '../src/pipeline';
import { createSession } from '../src/pipeline/execution-provider';
import { loadOrt } from '../src/pipeline/ort';
import { floatTensor, inputSpecs, pickInput, timestepTensor } from '../src/pipeline/tensors';
import { SeededNoise } from '../src/schedulers';

function option(name: string, fallback: string): string {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 && process.argv[index + 1] ? process.argv[index + 1]! : fallback;
}

const preset = option('preset', 'sd15') as SyntheticPreset;
const variants = option('variants', 'plain,fused').split(',') as ('plain' | 'fused')[];
const steps = Number(option('steps', '25'));
const runs = Number(option('runs', '20'));
const images = Number(option('images', '3'));
const work = option('work', '/tmp/sl-gpu-sd15');
// The raw-UNet baseline costs a second session creation per variant; `--raw no` skips it.
const raw = option('raw', 'yes') !== 'no';
const provider: ExecutionProviderConfig =
  option('provider', 'cuda') === 'cpu'
    ? { provider: 'cpu' }
    : { provider: 'cuda', deviceId: Number(option('device', '0')) };
const size = preset === 'sd15' ? 512 : 64;

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const log = (message: string): void =>
  console.log(`[gpu-sd15 ${(performance.now() / 1000).toFixed(1)}s] ${message}`);

interface Result {
  variant: string;
  buildS: number;
  loadS: number;
  unetMsMedian: number;
  unetMsMin: number;
  pipelineStepMs: number;
  imageMsMedian: number;
  imageMsMin: number;
  textEncoderMs: number;
  decodeMs: number;
}

/** Raw UNet runs with exactly what one guided step feeds it (host tensors in, host tensors out). */
async function rawUNet(dir: string, variant: string): Promise<number[]> {
  const started = performance.now();
  const unet = await createSession(
    { model: join(dir, 'unet', 'model.onnx'), byteLength: 0 },
    provider,
    'unet',
  );
  log(`${variant}: UNet session created in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  const specs = inputSpecs(unet, 'unet');
  const sample = pickInput(specs, ['sample'], 0, 'unet');
  const timestep = pickInput(specs, ['timestep'], 1, 'unet');
  const context = pickInput(specs, ['encoder_hidden_states'], 2, 'unet');
  const hidden = typeof context.shape[2] === 'number' ? context.shape[2] : preset === 'sd15' ? 768 : 32;
  const latent = size / 8;
  const noise = new SeededNoise(0);
  const feeds = {
    [sample.name]: floatTensor(noise.gaussian(2 * 4 * latent * latent), sample, [2, 4, latent, latent]),
    [timestep.name]: timestepTensor(500, timestep, 1),
    [context.name]: floatTensor(
      noise.gaussian(2 * 77 * hidden).map((v) => v * 0.5),
      context,
      [2, 77, hidden],
    ),
  };
  for (let i = 0; i < 3; i++) await unet.run(feeds); // warm-up: kernel selection, allocations
  const unetTimes: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    await unet.run(feeds);
    unetTimes.push(performance.now() - t);
  }
  await unet.release();
  log(
    `${variant}: UNet batch 2 fp16: median ${median(unetTimes).toFixed(2)} ms, min ${Math.min(...unetTimes).toFixed(2)} ms`,
  );

  return unetTimes;
}

async function measure(variant: 'plain' | 'fused'): Promise<Result> {
  mkdirSync(work, { recursive: true });
  const dir = join(work, `${preset}-fp16-${variant}`);
  let buildS = 0;
  if (!existsSync(join(dir, 'model_index.json'))) {
    const started = performance.now();
    buildSyntheticModel({ preset, dir, dtype: 'fp16', fused: variant === 'fused', seed: 0, overwrite: true });
    buildS = (performance.now() - started) / 1000;
    log(`${variant}: built ${dir} in ${buildS.toFixed(1)} s`);
  }

  const unetTimes = raw ? await rawUNet(dir, variant) : [Number.NaN];
  // The whole pipeline: tokenizer, text encoder ×2, `steps` guided UNet steps, VAE decode, RGB.
  const engine = new DiffusionEngine({ provider, cacheBudgetBytes: 16 * 1024 ** 3 });
  try {
    const started = performance.now();
    await engine.preload(dir);
    const loadS = (performance.now() - started) / 1000;
    const request = {
      modelDir: dir,
      prompt: 'a lighthouse at dusk, watercolor',
      width: size,
      height: size,
      steps,
      guidanceScale: 7.5,
      seed: 1,
    };
    await engine.generate({ ...request, steps: 2 }); // warm-up of the text encoder and VAE
    const imageTimes: number[] = [];
    const stepTimes: number[] = [];
    let textEncoderMs = 0;
    let decodeMs = 0;
    for (let i = 0; i < images; i++) {
      const t = performance.now();
      const image = await engine.generate({ ...request, seed: i });
      imageTimes.push(performance.now() - t);
      stepTimes.push(image.timings.denoiseMs / steps);
      textEncoderMs = image.timings.textEncoderMs;
      decodeMs = image.timings.decodeMs;
      if (image.provider !== (provider.provider === 'cuda' ? `cuda:${provider.deviceId ?? 0}` : 'cpu')) {
        throw new Error(`ran on ${image.provider}`);
      }
    }
    log(
      `${variant}: ${steps}-step ${size}² image: median ${median(imageTimes).toFixed(0)} ms (text ${textEncoderMs.toFixed(1)} ms, decode ${decodeMs.toFixed(1)} ms)`,
    );
    return {
      variant,
      buildS,
      loadS,
      unetMsMedian: median(unetTimes),
      unetMsMin: Math.min(...unetTimes),
      pipelineStepMs: median(stepTimes),
      imageMsMedian: median(imageTimes),
      imageMsMin: Math.min(...imageTimes),
      textEncoderMs,
      decodeMs,
    };
  } finally {
    await engine.close();
  }
}

const ort = loadOrt();
log(
  `onnxruntime-node ${ort.env.versions.node}, provider ${JSON.stringify(provider)}, preset ${preset}, ${steps} steps, ${size}×${size}`,
);
const results: Result[] = [];
try {
  for (const variant of variants) results.push(await measure(variant));
} catch (error) {
  if (isDiffusionError(error)) {
    console.error(`FAILED ${error.code}: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
console.log(
  '\nvariant  UNet ms/step (median/min)  pipeline ms/step  image ms (median/min)  text ms  decode ms  load s',
);
for (const r of results) {
  console.log(
    `${r.variant.padEnd(8)} ${r.unetMsMedian.toFixed(2).padStart(9)} / ${r.unetMsMin.toFixed(2).padEnd(13)} ${r.pipelineStepMs.toFixed(2).padStart(16)}  ${r.imageMsMedian.toFixed(0).padStart(10)} / ${r.imageMsMin.toFixed(0).padEnd(9)} ${r.textEncoderMs.toFixed(1).padStart(7)}  ${r.decodeMs.toFixed(1).padStart(9)}  ${r.loadS.toFixed(1).padStart(6)}`,
  );
}
console.log(`RESULT ${JSON.stringify({ preset, steps, size, provider, results })}`);
