// Tiny-model text-to-image throughput on this CPU, against the raw UNet `session.run` it is made
// of, so the pipeline's own overhead (scheduler, CFG, conversions, progress) shows as a ratio.
// Usage: pnpm --filter @stylelicense/diffusion bench   (env: BENCH_SIZE, BENCH_STEPS, BENCH_IMAGES)
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { makeTempDir } from '@stylelicense/test-kit';
import { createSession } from '../src/pipeline/execution-provider';
import { openModelFolder } from '../src/pipeline/model-folder';
import type { InferenceSession } from '../src/pipeline/ort';
import { floatTensor, inputSpecs, pickInput, timestepTensor } from '../src/pipeline/tensors';
import type { LoadedModel } from '../src/pipeline/requests';
import { generateWithModel } from '../src/pipeline/text-to-image';
import { SeededNoise } from '../src/schedulers';
import { buildSyntheticModel } from '../src/synthetic';
import { ClipTokenizer } from '../src/tokenizer/clip-tokenizer';

const size = Number(process.env.BENCH_SIZE ?? 512);
const steps = Number(process.env.BENCH_STEPS ?? 4);
const images = Number(process.env.BENCH_IMAGES ?? 3);

const tempDir = await makeTempDir('bench-diffusion');
const root = tempDir.path;
try {
  const modelDir = buildSyntheticModel({ preset: 'tiny', dir: join(root, 'tiny'), seed: 1 }).dir;
  console.log(
    `tiny model, ${size}×${size}, ${steps} steps, CFG (batch 2), CPU: ${cpus()[0]?.model ?? '?'} × ${cpus().length}, load ${loadavg()[0]!.toFixed(1)}`,
  );
  const folder = await openModelFolder(modelDir);
  const session = (file: string): Promise<InferenceSession> =>
    createSession({ model: file, byteLength: 0 }, { provider: 'cpu' }, file);

  // Baseline: the UNet alone, with the inputs one guided step feeds it.
  const rawUnet = await session(folder.unet);
  const specs = inputSpecs(rawUnet, 'unet');
  const sample = pickInput(specs, ['sample'], 0, 'unet');
  const timestep = pickInput(specs, ['timestep'], 1, 'unet');
  const context = pickInput(specs, ['encoder_hidden_states'], 2, 'unet');
  const latent = size / 8;
  const hidden = typeof context.shape[2] === 'number' ? context.shape[2] : 32;
  const noise = new SeededNoise(1);
  const feeds = {
    [sample.name]: floatTensor(noise.gaussian(2 * 4 * latent * latent), sample, [2, 4, latent, latent]),
    [timestep.name]: timestepTensor(500, timestep, 1),
    [context.name]: floatTensor(noise.gaussian(2 * 77 * hidden), context, [2, 77, hidden]),
  };
  await rawUnet.run(feeds); // warm-up

  // The pipeline: text encoder, `steps` guided UNet steps, VAE decode, RGB conversion. Its UNet
  // session is wrapped to time what ONNX Runtime itself spends inside each step.
  const unet = await session(folder.unet);
  let insideRunMs = 0;
  const run = unet.run.bind(unet);
  (unet as { run: InferenceSession['run'] }).run = (async (...args: Parameters<InferenceSession['run']>) => {
    const started = performance.now();
    try {
      return await run(...args);
    } finally {
      insideRunMs += performance.now() - started;
    }
  }) as InferenceSession['run'];
  const model: LoadedModel = {
    folder,
    tokenizer: await ClipTokenizer.fromDirectory(folder.tokenizerDir),
    textEncoder: await session(folder.textEncoder),
    unet,
    vaeDecoder: await session(folder.vaeDecoder),
    provider: 'cpu',
  };
  const request = {
    modelDir,
    prompt: 'a lighthouse at dusk',
    width: size,
    height: size,
    steps,
    guidanceScale: 7.5,
    seed: 1,
  };
  await generateWithModel(model, { ...request, steps: 1 }); // warm-up

  // Interleave baseline and pipeline so load from other processes hits both alike; keep the best.
  let rawMs = Infinity;
  let stepMs = Infinity;
  let overhead = Infinity;
  let decodeMs = Infinity;
  let imageMs = Infinity;
  for (let i = 0; i < images; i++) {
    for (let r = 0; r < steps; r++) {
      const started = performance.now();
      await rawUnet.run(feeds);
      rawMs = Math.min(rawMs, performance.now() - started);
    }
    insideRunMs = 0;
    const started = performance.now();
    const image = await generateWithModel(model, { ...request, seed: i });
    imageMs = Math.min(imageMs, performance.now() - started);
    stepMs = Math.min(stepMs, image.timings.denoiseMs / steps);
    overhead = Math.min(overhead, image.timings.denoiseMs / insideRunMs);
    decodeMs = Math.min(decodeMs, image.timings.decodeMs);
  }
  for (const s of [rawUnet, unet, model.textEncoder, model.vaeDecoder]) await s.release();

  console.log(`raw UNet session.run (batch 2):      ${rawMs.toFixed(1)} ms/run (best of ${steps * images})`);
  console.log(`pipeline denoising step:             ${stepMs.toFixed(1)} ms/step (best of ${images} images)`);
  console.log(
    `pipeline step / UNet run inside it:  ${overhead.toFixed(3)}× (scheduler, CFG, conversions, progress)`,
  );
  console.log(`pipeline step / raw UNet run:        ${(stepMs / rawMs).toFixed(3)}×`);
  console.log(`VAE decode + RGB:                    ${decodeMs.toFixed(1)} ms/image`);
  console.log(
    `end to end:                          ${imageMs.toFixed(0)} ms/image = ${(1000 / imageMs).toFixed(3)} images/s`,
  );
} finally {
  await tempDir.remove();
}
