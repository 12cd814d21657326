// Whole generation job (LoRA + signature inputs, pipeline, stamp, upload, webhooks) against the
// pipeline alone, same model, same thread, same run. Tiny synthetic model, 512², on this machine.
//   pnpm --filter @stylelicense/inference-worker bench
//   BENCH_IMAGES=5 BENCH_STEPS=4 BENCH_GUIDANCE=7.5 BENCH_FORMAT=png|webp BENCH_ASPECT=1:1|1:2|2:2
import { writeFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { generateProvenanceKeyPair, provenanceSigner } from '@stylelicense/imaging';
import { dimensionsFor, generateWebhookSecret, type AspectRatio } from '@stylelicense/contracts';
import { DiffusionWorker, silentLogger } from '@stylelicense/diffusion';
import { makeTempDir } from '@stylelicense/test-kit';
import { createGenerationReporter } from '../src/reporter';
import { LoraCache, SignatureCache } from '../src/style-inputs';
import { createGenerationHandler, type JobTimings } from '../src/worker';
import {
  buildTinyModel,
  filesystemStorage,
  generationJob,
  seedStyle,
  silentLog,
  tinyLora,
} from '../test/harness';

const images = Number(process.env.BENCH_IMAGES ?? 5);
const steps = Number(process.env.BENCH_STEPS ?? 4);
const guidance = Number(process.env.BENCH_GUIDANCE ?? 7.5);
const format = (process.env.BENCH_FORMAT ?? 'png') as 'png' | 'webp';
const aspect = (process.env.BENCH_ASPECT ?? '1:1') as AspectRatio;
const { width, height } = dimensionsFor(aspect);

const dir = await makeTempDir('inference-bench');
// The API's side: answers every webhook 200 on loopback (signatures are checked by the tests).
const api = createServer((req, res) => req.resume().on('end', () => res.writeHead(200).end('{}')));
await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
const address = api.address();
const apiUrl = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;

const modelDir = buildTinyModel(dir.path);
const storage = filesystemStorage(join(dir.path, 'storage'));
await storage.ensureBucket();
const style = await seedStyle(storage, modelDir);
const loraPath = join(dir.path, 'lora.safetensors');
await writeFile(loraPath, await tinyLora(modelDir));

const diffusion = await DiffusionWorker.start({ logger: silentLogger });
const reporter = createGenerationReporter({
  apiUrl,
  secret: generateWebhookSecret(),
  spoolDir: join(dir.path, 'spool'),
  log: silentLog,
});
const handle = createGenerationHandler({
  storage,
  diffusion,
  reporter,
  loras: new LoraCache(join(dir.path, 'lora-cache'), 256 * 1024 ** 2, storage, silentLog),
  signatures: new SignatureCache(storage),
  modelDir,
  config: { loraStrength: 1, outputFormat: format, jobTimeoutMs: 600_000 },
  provenance: provenanceSigner(generateProvenanceKeyPair().privateKey),
  log: silentLog,
});

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const request = {
  modelDir,
  prompt: 'ink wash, lighthouse, dusk',
  width,
  height,
  steps,
  guidanceScale: guidance,
  lora: { path: loraPath, strength: 1 },
};

console.log(
  `tiny model, ${width}×${height}, ${steps} steps, guidance ${guidance}, ${format}, ${images} images each; ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})`,
);
// Warm-up: loads the base model and the LoRA-merged session once for both paths.
await diffusion.generate({ ...request, seed: 0 });
await handle(generationJob(style, { aspectRatio: aspect, width, height, steps, guidance, seed: 0 }));

const pipelineMs: number[] = [];
const jobMs: number[] = [];
const parts: JobTimings[] = [];
for (let i = 1; i <= images; i++) {
  let started = performance.now();
  await diffusion.generate({ ...request, seed: i });
  pipelineMs.push(performance.now() - started);

  started = performance.now();
  const outcome = await handle(
    generationJob(style, { aspectRatio: aspect, width, height, steps, guidance, seed: i }),
  );
  jobMs.push(performance.now() - started);
  if (outcome.status !== 'completed')
    throw new Error(`bench job did not complete: ${JSON.stringify(outcome)}`);
  parts.push(outcome.timings);
}

const row = (name: string, ms: number) => console.log(`  ${name.padEnd(40)} ${ms.toFixed(1).padStart(9)} ms`);
console.log('median per image:');
row('pipeline alone (DiffusionWorker)', median(pipelineMs));
row('whole job', median(jobMs));
row('  inputs (LoRA + signature, cached)', median(parts.map((p) => p.inputsMs)));
row('  pipeline inside the job', median(parts.map((p) => p.pipelineMs)));
row('  signature stamp + encode', median(parts.map((p) => p.stampMs)));
row('  upload (filesystem driver)', median(parts.map((p) => p.uploadMs)));
row('job overhead (job − pipeline alone)', median(jobMs) - median(pipelineMs));
// The same difference measured inside each job: immune to the machine's load drifting between runs.
row('job overhead (in-job: total − pipeline)', median(parts.map((p) => p.totalMs - p.pipelineMs)));
console.log(`  ratio job / pipeline alone                ${(median(jobMs) / median(pipelineMs)).toFixed(3)}`);
console.log(`  images/s (whole job)                      ${(1000 / median(jobMs)).toFixed(3)}`);

await reporter.close();
await diffusion.close();
api.close();
await dir.remove();
