// The CPU cost the denoising loop adds to every step (scheduler, guidance, fp16 conversions, noise,
// progress, the event-loop yield), for SD 1.5 shapes: fp16, batch 2 (CFG), 4×64×64 latents, 77×768
// text context. The sessions answer instantly with a fixed fp16 output, so what remains is the
// pipeline's own work — on a GPU host it adds to the UNet time, since ORT's run blocks the thread.
// Baseline in the same run: a bare loop awaiting the same fake UNet run and one event-loop yield per step.
// Usage: pnpm --filter @stylelicense/diffusion bench   (env: BENCH_STEPS, BENCH_IMAGES)
import { cpus, loadavg } from 'node:os';
import { toHalfBits } from '../src/onnx';
import type { ModelFolder } from '../src/pipeline/model-folder';
import { loadOrt, type InferenceSession, type OrtTensor } from '../src/pipeline/ort';
import type { LoadedModel } from '../src/pipeline/requests';
import { generateWithModel } from '../src/pipeline/text-to-image';
import { defaultScheduleConfig, SeededNoise, type SchedulerName } from '../src/schedulers';
import { buildTokenizerFiles } from '../src/synthetic';
import { ClipTokenizer } from '../src/tokenizer/clip-tokenizer';

const steps = Number(process.env.BENCH_STEPS ?? 25);
const images = Number(process.env.BENCH_IMAGES ?? 8);
const schedulers: SchedulerName[] = ['euler-ancestral', 'dpmpp-2m-karras'];
const ort = loadOrt();

interface FakeInput {
  name: string;
  type: 'float16' | 'int32' | 'int64';
  shape: (number | string)[];
}

/** An InferenceSession as far as the pipeline uses it: metadata, and a run that returns `output` at once. */
function fakeSession(inputs: FakeInput[], outputName: string, output: OrtTensor): InferenceSession {
  const outputs = { [outputName]: output };
  return {
    inputNames: inputs.map((i) => i.name),
    outputNames: [outputName],
    inputMetadata: inputs.map((i) => ({ ...i, isTensor: true })),
    run: () => Promise.resolve(outputs),
    release: () => Promise.resolve(),
  } as unknown as InferenceSession;
}

/** fp16 standard-normal values scaled by `scale`, as a model output would hold them. */
function halfTensor(dims: number[], seed: number, scale: number): OrtTensor {
  const count = dims.reduce((a, b) => a * b, 1);
  const values = new SeededNoise(seed).gaussian(count);
  const half = Uint16Array.from(values, (v) => toHalfBits(v * scale));
  return new ort.Tensor('float16', half, dims);
}

const unet = fakeSession(
  [
    { name: 'sample', type: 'float16', shape: ['batch_size', 4, 'height', 'width'] },
    { name: 'timestep', type: 'int64', shape: ['steps'] },
    { name: 'encoder_hidden_states', type: 'float16', shape: ['batch_size', 'sequence_length', 768] },
  ],
  'out_sample',
  halfTensor([2, 4, 64, 64], 1, 1),
);
const folder: ModelFolder = {
  dir: 'fake-sd15',
  textEncoder: 'fake',
  unet: 'fake',
  vaeDecoder: 'fake',
  tokenizerDir: 'fake',
  schedule: defaultScheduleConfig(),
  vaeScalingFactor: 0.18215,
};
const model: LoadedModel = {
  folder,
  tokenizer: new ClipTokenizer(buildTokenizerFiles()),
  textEncoder: fakeSession(
    [{ name: 'input_ids', type: 'int32', shape: ['batch_size', 'sequence_length'] }],
    'last_hidden_state',
    halfTensor([1, 77, 768], 2, 0.5),
  ),
  unet,
  vaeDecoder: fakeSession(
    [{ name: 'latent_sample', type: 'float16', shape: ['batch_size', 4, 'latent_height', 'latent_width'] }],
    'sample',
    halfTensor([1, 3, 512, 512], 3, 0.3),
  ),
  provider: 'fake',
};

// What the bare loop feeds: prebuilt tensors of the real shapes.
const bareFeeds = {
  sample: new ort.Tensor('float16', new Uint16Array(2 * 4 * 64 * 64), [2, 4, 64, 64]),
  timestep: new ort.Tensor('int64', BigInt64Array.from([500n]), [1]),
  encoder_hidden_states: new ort.Tensor('float16', new Uint16Array(2 * 77 * 768), [2, 77, 768]),
};
const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

async function bareLoopUs(): Promise<number> {
  const started = performance.now();
  for (let i = 0; i < steps; i++) {
    await unet.run(bareFeeds);
    await yieldToEventLoop();
  }
  return ((performance.now() - started) * 1000) / steps;
}

async function pipelineUs(scheduler: SchedulerName, seed: number): Promise<number> {
  const image = await generateWithModel(model, {
    modelDir: folder.dir,
    prompt: 'a lighthouse at dusk, watercolor',
    negativePrompt: 'blurry',
    width: 512,
    height: 512,
    steps,
    guidanceScale: 7.5,
    seed,
    scheduler,
  });
  return (image.timings.denoiseMs * 1000) / steps;
}

const median = (values: number[]): number =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

console.log(
  `step overhead: sd15 shapes (fp16, CFG batch 2, 4×64×64 latents, 77×768 context), ${steps} steps, instant fake sessions; ` +
    `Node ${process.version}, CPU: ${cpus()[0]?.model ?? '?'} × ${cpus().length}, load ${loadavg()[0]!.toFixed(1)}`,
);
for (const scheduler of schedulers) {
  for (let i = 0; i < 2; i++) {
    await bareLoopUs();
    await pipelineUs(scheduler, 100 + i); // warm-up: JIT, table set-up
  }
  // Interleaved so that load from other processes hits both alike.
  const bare: number[] = [];
  const pipeline: number[] = [];
  for (let i = 0; i < images; i++) {
    bare.push(await bareLoopUs());
    pipeline.push(await pipelineUs(scheduler, i));
  }
  const bareUs = median(bare);
  const stepUs = median(pipeline);
  console.log(
    `${scheduler.padEnd(16)} pipeline ${stepUs.toFixed(0).padStart(6)} µs/step (min ${Math.min(...pipeline).toFixed(0)}), ` +
      `bare run loop ${bareUs.toFixed(1)} µs/step → pipeline overhead per step ${(stepUs - bareUs).toFixed(0)} µs, ` +
      `ratio to bare run loop ${(stepUs / bareUs).toFixed(1)}×  (median of ${images} images)`,
  );
}
