// SD 1.5-sized synthetic model on ONNX Runtime CUDA: ms per UNet step (fp16, batch 2 = CFG,
// 64×64 latents) for the plain and the fused (com.microsoft contrib ops) UNet, the end-to-end
// time of a 25-step 512×512 image through the pipeline, and what the pipeline adds to each step
// (pipeline ms/step − raw UNet median). With both variants it checks that the fused graph computes
// what the plain one does for the same inputs — max |Δ| of the raw UNet output and PSNR of every
// image — and exits 1 outside the tolerances (`--unet-tolerance`, relative to max |y|;
// `--min-psnr`, dB).
//
// Bundle here, run on the GPU host (see shared/gpu/README.md; onnxruntime-node comes from NODE_PATH):
//   pnpm --filter @stylelicense/diffusion bench:gpu:bundle      → packages/diffusion/dist/gpu-sd15.mjs
//   node packages/diffusion/dist/gpu-sd15.mjs [--variants plain,fused] [--steps 25] [--runs 20]
//        [--images 3] [--device 0] [--work /tmp/sd15] [--preset sd15|tiny] [--provider cuda|cpu]
//        [--raw no] [--lora yes] [--fused-groups nhwc,attention,packedQkv,skipLayerNorm,geglu]
//        [--unet-tolerance 0.01] [--min-psnr 30]
// `--preset tiny --provider cpu --fused-groups attention,skipLayerNorm` is a quick local check of
// the bundle (the other groups have no CPU kernel).
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { encodeSafetensors, type FloatTensorInput } from '@stylelicense/safetensors';
import { decodeModel } from '../src/onnx';
import { join } from 'node:path';
import {
  buildSyntheticModel,
  FUSED_OPS,
  type FusedOp,
  maxAbsDifference,
  psnr,
  type SyntheticPreset,
} from '../src/synthetic';
import { DiffusionEngine, isDiffusionError, type ExecutionProviderConfig } from '../src/pipeline';
import { createSession } from '../src/pipeline/execution-provider';
import { loadOrt } from '../src/pipeline/ort';
import { floatTensor, inputSpecs, pickInput, readFloats, timestepTensor } from '../src/pipeline/tensors';
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
// `--lora yes`: also time a style switch — merging a rank-16 LoRA on every attention projection
// of the UNet (decode, patch, encode, new session) — and an image with it.
const withLora = option('lora', 'no') === 'yes';
const fusedGroups = option('fused-groups', FUSED_OPS.join(',')).split(',') as FusedOp[];
// fp16 on both sides, so the kernels' different summation orders show at fp16 precision; over the
// denoising loop they compound, hence an image tolerance in PSNR rather than pixel equality.
const unetTolerance = Number(option('unet-tolerance', '0.01'));
const minPsnr = Number(option('min-psnr', '30'));
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
  /** pipeline ms/step − raw UNet median: what the pipeline's own CPU work adds to each step */
  pipelineOverheadMs: number;
  imageMsMedian: number;
  imageMsMin: number;
  /** medians over all images */
  textEncoderMs: number;
  decodeMs: number;
  loraLoadS?: number;
  loraImageMs?: number;
}

/** What each variant computed, for the fused-vs-plain comparison. */
interface Outputs {
  /** the raw UNet's output for the fixed feeds (absent with `--raw no`) */
  unet?: Float32Array;
  /** RGB pixels of each timed image, seeds 0 … images−1 */
  images: Uint8Array[];
}

/** Raw UNet runs with exactly what one guided step feeds it (host tensors in, host tensors out). */
async function rawUNet(dir: string, variant: string): Promise<{ times: number[]; output: Float32Array }> {
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
  // The first run's output is what the comparison uses; it and two more warm up kernel selection.
  const first = await unet.run(feeds);
  const output = readFloats(first[unet.outputNames[0]!], 'unet output');
  for (let i = 0; i < 2; i++) await unet.run(feeds);
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

  return { times: unetTimes, output };
}

/** A kohya LoRA (rank 16, alpha 8, small random values) for every attention projection of the UNet. */
async function randomAttentionLora(unetFile: string): Promise<Uint8Array> {
  const model = decodeModel(new Uint8Array(await readFile(unetFile)));
  const noise = new SeededNoise(5);
  const rank = 16;
  const tensors: Record<string, FloatTensorInput> = {};
  for (const t of model.graph.initializers) {
    const match = /^(.*attn[12]\.(?:to_q|to_k|to_v|to_out\.0))\.weight$/.exec(t.name);
    if (!match || t.dims.length !== 2) continue;
    const [inputs, outputs] = t.dims as [number, number];
    const key = `lora_unet_${match[1]!.replaceAll('.', '_')}`;
    tensors[`${key}.lora_down.weight`] = {
      dtype: 'F16',
      shape: [rank, inputs],
      values: noise.gaussian(rank * inputs).map((v) => v * 0.01),
    };
    tensors[`${key}.lora_up.weight`] = {
      dtype: 'F16',
      shape: [outputs, rank],
      values: noise.gaussian(outputs * rank).map((v) => v * 0.01),
    };
    tensors[`${key}.alpha`] = { dtype: 'F16', shape: [], values: [8] };
  }
  return encodeSafetensors(tensors);
}

async function measure(variant: 'plain' | 'fused'): Promise<Result & { outputs: Outputs }> {
  mkdirSync(work, { recursive: true });
  const dir = join(work, `${preset}-fp16-${variant === 'fused' ? fusedGroups.join('+') : variant}`);
  let buildS = 0;
  if (!existsSync(join(dir, 'model_index.json'))) {
    const started = performance.now();
    buildSyntheticModel({
      preset,
      dir,
      dtype: 'fp16',
      fused: variant === 'fused' ? fusedGroups : [],
      seed: 0,
      overwrite: true,
    });
    buildS = (performance.now() - started) / 1000;
    log(`${variant}: built ${dir} in ${buildS.toFixed(1)} s`);
  }

  const rawRun = raw ? await rawUNet(dir, variant) : undefined;
  const unetTimes = rawRun?.times ?? [Number.NaN];
  const outputs: Outputs = { unet: rawRun?.output, images: [] };
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
    const textEncoderTimes: number[] = [];
    const decodeTimes: number[] = [];
    for (let i = 0; i < images; i++) {
      const t = performance.now();
      const image = await engine.generate({ ...request, seed: i });
      imageTimes.push(performance.now() - t);
      stepTimes.push(image.timings.denoiseMs / steps);
      textEncoderTimes.push(image.timings.textEncoderMs);
      decodeTimes.push(image.timings.decodeMs);
      outputs.images.push(image.pixels);
      if (image.provider !== (provider.provider === 'cuda' ? `cuda:${provider.deviceId ?? 0}` : 'cpu')) {
        throw new Error(`ran on ${image.provider}`);
      }
    }
    let lora: Pick<Result, 'loraLoadS' | 'loraImageMs'> = {};
    if (withLora) {
      const path = join(work, `${preset}-style.safetensors`);
      writeFileSync(path, await randomAttentionLora(join(dir, 'unet', 'model.onnx')));
      const loraRequest = { ...request, lora: { path, strength: 0.8 } };
      let t = performance.now();
      await engine.preload(dir, loraRequest.lora);
      const loraLoadS = (performance.now() - t) / 1000;
      t = performance.now();
      await engine.generate(loraRequest);
      lora = { loraLoadS, loraImageMs: performance.now() - t };
      log(
        `${variant}: LoRA merge + session ${loraLoadS.toFixed(1)} s, image with it ${lora.loraImageMs!.toFixed(0)} ms`,
      );
    }
    const textEncoderMs = median(textEncoderTimes);
    const decodeMs = median(decodeTimes);
    log(
      `${variant}: ${steps}-step ${size}² image: median ${median(imageTimes).toFixed(0)} ms (median text ${textEncoderMs.toFixed(1)} ms, decode ${decodeMs.toFixed(1)} ms over ${images} images)`,
    );
    return {
      variant,
      buildS,
      loadS,
      unetMsMedian: median(unetTimes),
      unetMsMin: Math.min(...unetTimes),
      pipelineStepMs: median(stepTimes),
      pipelineOverheadMs: median(stepTimes) - median(unetTimes),
      imageMsMedian: median(imageTimes),
      imageMsMin: Math.min(...imageTimes),
      textEncoderMs,
      decodeMs,
      ...lora,
      outputs,
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
const outputs = new Map<string, Outputs>();
try {
  for (const variant of variants) {
    const { outputs: computed, ...result } = await measure(variant);
    results.push(result);
    outputs.set(variant, computed);
  }
} catch (error) {
  if (isDiffusionError(error)) {
    console.error(`FAILED ${error.code}: ${error.message}`);
    process.exit(2);
  }
  throw error;
}
/** Fused vs plain on the same inputs; null when one of them was not run. */
function compareVariants(): {
  unetMaxAbsDiff: number | null;
  unetMaxAbs: number | null;
  imagePsnrDb: number[];
  pass: boolean;
} | null {
  const plain = outputs.get('plain');
  const fused = outputs.get('fused');
  if (!plain || !fused) return null;
  const unet = plain.unet && fused.unet ? maxAbsDifference(plain.unet, fused.unet) : null;
  const imagePsnrDb = plain.images.map((pixels, i) => psnr(pixels, fused.images[i]!));
  const unetPass = !unet || unet.maxAbsDiff <= unetTolerance * unet.maxAbs;
  return {
    unetMaxAbsDiff: unet?.maxAbsDiff ?? null,
    unetMaxAbs: unet?.maxAbs ?? null,
    imagePsnrDb,
    pass: unetPass && imagePsnrDb.every((db) => db >= minPsnr),
  };
}

console.log(
  '\nvariant  UNet ms/step (median/min)  pipeline ms/step  overhead ms/step  image ms (median/min)  text ms  decode ms  load s',
);
for (const r of results) {
  console.log(
    `${r.variant.padEnd(8)} ${r.unetMsMedian.toFixed(2).padStart(9)} / ${r.unetMsMin.toFixed(2).padEnd(13)} ${r.pipelineStepMs.toFixed(2).padStart(16)}  ${(raw ? r.pipelineOverheadMs.toFixed(2) : 'n/a').padStart(16)}  ${r.imageMsMedian.toFixed(0).padStart(10)} / ${r.imageMsMin.toFixed(0).padEnd(9)} ${r.textEncoderMs.toFixed(1).padStart(7)}  ${r.decodeMs.toFixed(1).padStart(9)}  ${r.loadS.toFixed(1).padStart(6)}`,
  );
}
for (const r of results.filter((x) => x.loraLoadS !== undefined)) {
  console.log(
    `${r.variant}: LoRA style switch (merge + session) ${r.loraLoadS!.toFixed(1)} s; image with it ${r.loraImageMs!.toFixed(0)} ms`,
  );
}
console.log('(text and decode ms are medians over all timed images)');
const equality = compareVariants();
if (equality) {
  console.log(
    `fused (${fusedGroups.join(', ')}) vs plain: UNet max |Δ| ${equality.unetMaxAbsDiff?.toExponential(2) ?? 'n/a (--raw no)'} at max |y| ${equality.unetMaxAbs?.toFixed(2) ?? 'n/a'} (tolerance ${unetTolerance} × max |y|); image PSNR ${equality.imagePsnrDb.map((db) => db.toFixed(1)).join(', ')} dB (minimum ${minPsnr}) → ${equality.pass ? 'EQUAL within tolerance' : 'DIFFERENT'}`,
  );
}
console.log(
  `RESULT ${JSON.stringify({ preset, steps, size, provider, fusedGroups, results, equality, unetTolerance, minPsnr })}`,
);
if (equality && !equality.pass) process.exit(1);
