// Serving many styles on the tiny model, CPU: runtime LoRA inputs of one session against the
// merged reference path (merge + new session per style), measured in the same run.
// Usage: pnpm --filter @stylelicense/diffusion bench
//   env: BENCH_SIZE (256), BENCH_STEPS (4), BENCH_RANK (16, LoRA rank on all attention projections),
//        BENCH_MAX_RANK (64), BENCH_REPEATS (5)
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors } from '@stylelicense/safetensors';
import { makeTempDir } from '@stylelicense/test-kit';
import { mergeLoraIntoModel, readLoraFile } from '../src/lora';
import { addRuntimeLoraInputs, loraFeeds } from '../src/lora-runtime';
import { LoraStore } from '../src/lora-runtime/store';
import { decodeModel, encodeModel } from '../src/onnx';
import { DiffusionEngine, silentLogger, type GenerateRequest } from '../src/pipeline';
import { createSession } from '../src/pipeline/execution-provider';
import type { InferenceSession, OrtTensor } from '../src/pipeline/ort';
import { floatTensor, inputSpecs, pickInput, timestepTensor } from '../src/pipeline/tensors';
import { SeededNoise } from '../src/schedulers';
import { buildSyntheticModel } from '../src/synthetic';

const size = Number(process.env.BENCH_SIZE ?? 256);
const steps = Number(process.env.BENCH_STEPS ?? 4);
const rank = Number(process.env.BENCH_RANK ?? 16);
const maxRank = Number(process.env.BENCH_MAX_RANK ?? 64);
const repeats = Number(process.env.BENCH_REPEATS ?? 5);
const cpu = { provider: 'cpu' } as const;

const median = (values: number[]): number => [...values].sort((a, b) => a - b)[values.length >> 1]!;
const timed = async (work: () => Promise<unknown>): Promise<number> => {
  const started = performance.now();
  await work();
  return performance.now() - started;
};
const ms = (v: number): string => `${v.toFixed(v < 10 ? 2 : 1)} ms`;
const row = (name: string, value: string, ratio = ''): void =>
  console.log(`| ${name.padEnd(58)} | ${value.padStart(12)} | ${ratio.padStart(10)} |`);

const tempDir = await makeTempDir('bench-styles');
try {
  const modelDir = buildSyntheticModel({ preset: 'tiny', dir: join(tempDir.path, 'tiny'), seed: 1 }).dir;
  const unetFile = join(modelDir, 'unet', 'model.onnx');
  const rewritten = addRuntimeLoraInputs(decodeModel(readFileSync(unetFile)), { maxRank });
  // Styles: rank-`rank` LoRAs on every attention projection (to_q/k/v/out), as the GPU target specifies.
  const attention = rewritten.targets.filter((t) => /attn[12]\.(to_q|to_k|to_v|to_out\.0)$/.test(t.target));
  const styleFiles: string[] = [];
  for (let s = 0; s < 8; s++) {
    const noise = new SeededNoise(200 + s);
    const tensors: Record<
      string,
      { dtype: 'F16' | 'F32'; shape: number[]; values: Float32Array | number[] }
    > = {};
    for (const t of attention) {
      const key = `lora_unet_${t.target.replaceAll('.', '_')}`;
      tensors[`${key}.lora_down.weight`] = {
        dtype: 'F16',
        shape: [rank, t.in],
        values: noise.gaussian(rank * t.in).map((v) => v * 0.3),
      };
      tensors[`${key}.lora_up.weight`] = {
        dtype: 'F16',
        shape: [t.out, rank],
        values: noise.gaussian(t.out * rank).map((v) => v * 0.3),
      };
      tensors[`${key}.alpha`] = { dtype: 'F32', shape: [], values: [rank / 2] };
    }
    const file = join(tempDir.path, `style-${s}.safetensors`);
    await writeFile(file, encodeSafetensors(tensors));
    styleFiles.push(file);
  }
  console.log(
    `tiny model, ${size}×${size}, ${steps} steps, CFG; styles: rank ${rank} on ${attention.length} attention projections, max rank ${maxRank} over ${rewritten.targets.length} targets; CPU: ${cpus()[0]?.model ?? '?'} × ${cpus().length}, load ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(`| ${'measure'.padEnd(58)} | ${'median'.padStart(12)} | ${'ratio'.padStart(10)} |`);
  console.log(`| ${'-'.repeat(58)} | ${'-'.repeat(12)} | ${'-'.repeat(10)} |`);

  // 1. Style switch. Merged path: decode + merge + encode + new UNet session. Runtime: the style's
  //    factors from disk (decode + pack, first use) or from memory (the batch's input tensors).
  const mergeSwitch: number[] = [];
  const mergedSessions: InferenceSession[] = [];
  for (let i = 0; i < repeats; i++) {
    mergeSwitch.push(
      await timed(async () => {
        const adapter = await readLoraFile(styleFiles[i % styleFiles.length]!);
        mergedSessions.push(
          await createSession(await mergeLoraIntoModel(unetFile, adapter.layers, 1), cpu, 'unet'),
        );
      }),
    );
  }
  const layouts = { key: 'bench', unet: rewritten };
  const store = new LoraStore(1024 ** 3, silentLogger);
  const cold: number[] = [];
  for (const file of styleFiles) cold.push(await timed(() => store.get(file, layouts)));
  const warm: number[] = [];
  for (let i = 0; i < 20; i++) {
    warm.push(
      await timed(async () => {
        const factors = (await store.get(styleFiles[i % styleFiles.length]!, layouts)).unet!;
        loraFeeds(rewritten, [
          { factors, strength: 1 },
          { factors, strength: 1 },
        ]);
      }),
    );
  }
  const mergeMs = median(mergeSwitch);
  row('switch: merge + new session (reference)', ms(mergeMs), '1.00×');
  row(
    'switch: runtime, cold (decode + pack from local disk)',
    ms(median(cold)),
    `${(mergeMs / median(cold)).toFixed(0)}× faster`,
  );
  row(
    'switch: runtime, from memory (build batch inputs)',
    ms(median(warm)),
    `${(mergeMs / median(warm)).toFixed(0)}× faster`,
  );

  // 2. Per-step cost of one guided UNet call (batch 2): merged session vs runtime low-rank path.
  const runtimeBytes = encodeModel(rewritten.model);
  const runtime = await createSession(
    { model: runtimeBytes, byteLength: runtimeBytes.byteLength },
    cpu,
    'unet',
  );
  const merged = mergedSessions[0]!;
  const specs = inputSpecs(merged, 'unet');
  const latent = size / 8;
  const noise = new SeededNoise(1);
  const context = pickInput(specs, ['encoder_hidden_states'], 2, 'unet');
  const hidden = Number(context.shape[2]);
  const base: Record<string, OrtTensor> = {
    sample: floatTensor(noise.gaussian(2 * 4 * latent * latent), pickInput(specs, ['sample'], 0, 'unet'), [
      2,
      4,
      latent,
      latent,
    ]),
    timestep: timestepTensor(500, pickInput(specs, ['timestep'], 1, 'unet'), 1),
    [context.name]: floatTensor(noise.gaussian(2 * 77 * hidden), context, [2, 77, hidden]),
  };
  const factors = (await store.get(styleFiles[0]!, layouts)).unet!;
  const withStyle = {
    ...base,
    ...loraFeeds(rewritten, [
      { factors, strength: 1 },
      { factors, strength: 1 },
    ]),
  };
  const stepTimes = async (session: InferenceSession, feeds: Record<string, OrtTensor>): Promise<number> => {
    await session.run(feeds);
    const times: number[] = [];
    for (let i = 0; i < repeats * 2; i++) times.push(await timed(() => session.run(feeds)));
    return median(times);
  };
  const mergedStep = await stepTimes(merged, base);
  const runtimeStep = await stepTimes(runtime, withStyle);
  row('UNet step, batch 2: merged weights (reference)', ms(mergedStep), '1.00×');
  row(
    `UNet step, batch 2: runtime low-rank path (max rank ${maxRank})`,
    ms(runtimeStep),
    `${(runtimeStep / mergedStep).toFixed(2)}×`,
  );
  await Promise.all([runtime.release(), ...mergedSessions.map((s) => s.release())]);

  // 3. Throughput: 4 jobs of 4 different styles, batched in one engine vs one after another.
  const request = (i: number): GenerateRequest => ({
    modelDir,
    prompt: 'a lighthouse at dusk',
    width: size,
    height: size,
    steps,
    guidanceScale: 7.5,
    seed: i,
    lora: { path: styleFiles[i % 4]!, strength: 1 },
  });
  const throughput = async (engine: DiffusionEngine, together: boolean): Promise<number> => {
    for (let i = 0; i < 4; i++) await engine.generate(request(i)); // warm: sessions and styles loaded
    const started = performance.now();
    if (together) await Promise.all([0, 1, 2, 3].map((i) => engine.generate(request(i))));
    else for (let i = 0; i < 4; i++) await engine.generate(request(i));
    await engine.close();
    return 4 / ((performance.now() - started) / 1000);
  };
  const lora = { maxRank };
  const sequential = await throughput(
    new DiffusionEngine({ logger: silentLogger, lora, batch: { maxItems: 1 } }),
    false,
  );
  const batched = await throughput(new DiffusionEngine({ logger: silentLogger, lora }), true);
  row('4 styles, one after another (runtime, warm)', `${sequential.toFixed(2)} img/s`, '1.00×');
  row(
    '4 styles batched in one UNet call per step',
    `${batched.toFixed(2)} img/s`,
    `${(batched / sequential).toFixed(2)}×`,
  );
} finally {
  await tempDir.remove();
}
