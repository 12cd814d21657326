// Tiny-model text-to-image throughput on this CPU, against the raw UNet `session.run` it is made
// of, so the pipeline's own overhead (scheduler, CFG, conversions, progress) shows as a ratio.
// Usage: pnpm --filter @stylelicense/diffusion bench   (env: BENCH_SIZE, BENCH_STEPS, BENCH_IMAGES)
import { mkdtemp, rm } from 'node:fs/promises';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSyntheticModel } from '../src/synthetic';
import { DiffusionEngine, silentLogger } from '../src/pipeline';
import { createSession } from '../src/pipeline/execution-provider';
import { inputSpecs, pickInput, floatTensor, timestepTensor } from '../src/pipeline/tensors';
import { SeededNoise } from '../src/schedulers';

const size = Number(process.env.BENCH_SIZE ?? 512);
const steps = Number(process.env.BENCH_STEPS ?? 4);
const images = Number(process.env.BENCH_IMAGES ?? 3);

const root = await mkdtemp(join(tmpdir(), 'sl-bench-diffusion-'));
try {
  const modelDir = buildSyntheticModel({ preset: 'tiny', dir: join(root, 'tiny'), seed: 1 }).dir;
  console.log(
    `tiny model, ${size}×${size}, ${steps} steps, CFG (batch 2), CPU: ${cpus()[0]?.model ?? '?'} × ${cpus().length}`,
  );

  // Baseline: the UNet alone, with the inputs one guided step feeds it.
  const unet = await createSession(
    { model: join(modelDir, 'unet', 'model.onnx'), byteLength: 0 },
    { provider: 'cpu' },
    'unet',
  );
  const specs = inputSpecs(unet, 'unet');
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
  await unet.run(feeds); // warm-up

  // The pipeline: text encoder, `steps` guided UNet steps, VAE decode, RGB conversion.
  const engine = new DiffusionEngine({ logger: silentLogger });
  const request = {
    modelDir,
    prompt: 'a lighthouse at dusk, watercolor',
    width: size,
    height: size,
    steps,
    guidanceScale: 7.5,
    seed: 1,
  };
  await engine.generate({ ...request, steps: 1 }); // load sessions + warm-up

  // Interleave baseline and pipeline so load from other processes hits both alike; keep the best.
  let unetMs = Infinity;
  let stepMs = Infinity;
  let decodeMs = Infinity;
  let imageMs = Infinity;
  for (let i = 0; i < images; i++) {
    for (let r = 0; r < steps; r++) {
      const started = performance.now();
      await unet.run(feeds);
      unetMs = Math.min(unetMs, performance.now() - started);
    }
    const started = performance.now();
    const image = await engine.generate({ ...request, seed: i });
    imageMs = Math.min(imageMs, performance.now() - started);
    stepMs = Math.min(stepMs, image.timings.denoiseMs / steps);
    decodeMs = Math.min(decodeMs, image.timings.decodeMs);
  }
  await unet.release();
  await engine.close();

  console.log(`raw UNet session.run (batch 2):   ${unetMs.toFixed(1)} ms/run`);
  console.log(`pipeline denoising step:          ${stepMs.toFixed(1)} ms/step`);
  console.log(`pipeline overhead per step:       ${(stepMs / unetMs).toFixed(3)}× the raw UNet run`);
  console.log(`VAE decode + RGB:                 ${decodeMs.toFixed(1)} ms/image`);
  console.log(
    `end to end:                       ${imageMs.toFixed(0)} ms/image = ${(1000 / imageMs).toFixed(3)} images/s`,
  );
  console.log(`end to end vs steps × raw UNet:   ${(imageMs / (steps * unetMs)).toFixed(3)}×`);
} finally {
  await rm(root, { recursive: true, force: true });
}
