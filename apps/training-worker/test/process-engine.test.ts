import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JobFailure } from '@stylelicense/contracts';
import { readSafetensorsHeader } from '@stylelicense/safetensors';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createNoTrainerEngine,
  prepareDataset,
  trainStyle,
  type TrainingJob,
  type TrainingProgress,
} from '../src/index';
import { createProcessTestEngine } from './fixtures/process-engine';
import { isAlive } from './support/processes';

async function failureOf(promise: Promise<unknown>): Promise<JobFailure> {
  const error = await promise.then(
    () => new Error('expected the training to fail'),
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(JobFailure);
  return error as JobFailure;
}

describe('process engine (kohya process protocol against a fake trainer)', () => {
  let tempDir: TempDir;
  let root: string;
  let dataset: TrainingJob['dataset'];
  let jobCount = 0;
  const images = new Map<string, Uint8Array>();

  beforeAll(async () => {
    tempDir = await makeTempDir('process-engine');
    root = tempDir.path;
    for (let i = 0; i < 10; i++) {
      images.set(
        `k${i}`,
        await sharp({
          create: { width: 600, height: 600, channels: 3, background: { r: i * 20, g: 90, b: 160 } },
        })
          .jpeg()
          .toBuffer(),
      );
    }
    const prepared = await prepareDataset({
      styleName: 'Moonlit Ink',
      artworks: [...images.keys()].map((key) => ({ id: key, storageKey: key, tags: ['ink'] })),
      loadBytes: async (key) => images.get(key) as Uint8Array,
      datasetDir: join(root, 'dataset'),
    });
    dataset = {
      imageDir: prepared.imageDir,
      token: prepared.token,
      numRepeats: prepared.numRepeats,
      imageCount: prepared.accepted.length,
    };
  });
  afterAll(async () => {
    await tempDir.remove();
  });

  const newJob = async (): Promise<TrainingJob> => {
    const workDir = join(root, `job-${++jobCount}`);
    return { styleId: `style-${jobCount}`, styleName: 'Moonlit Ink', dataset, workDir, seed: 42 };
  };

  it('trains: progress in order, a validated rank-8 LoRA, metrics, the log, and the exact command received', async () => {
    const engine = createProcessTestEngine({ mode: 'success' });
    const plan = await engine.prepare(await newJob());
    const events: TrainingProgress[] = [];
    const result = await engine.train(plan, { onProgress: (p) => events.push(p) });

    expect(result.artifactPath).toBe(plan.artifactPath);
    const header = await readSafetensorsHeader(result.artifactPath);
    expect(
      header.tensors.get(
        'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q.lora_down.weight',
      )?.shape,
    ).toEqual([8, 320]);
    expect(header.metadata?.ss_network_dim).toBe('8');

    // 10 images × 20 repeats = 200 steps per epoch, 1000 steps, 5 epochs.
    expect(result.metrics).toMatchObject({
      steps: 1000,
      totalSteps: 1000,
      epochs: 5,
      rank: 8,
      imageCount: 10,
    });
    expect(result.metrics.finalLoss).toBeCloseTo(0.2 / 11, 3);
    expect(events.length).toBeGreaterThan(10);
    const steps = events.map((e) => e.step);
    expect(steps).toEqual([...steps].sort((a, b) => a - b));
    expect(events.at(-1)).toMatchObject({
      step: 1000,
      totalSteps: 1000,
      epoch: 5,
      totalEpochs: 5,
      percent: 100,
    });
    expect(events.map((e) => e.epoch)).toEqual(expect.arrayContaining([1, 2, 3, 4, 5]));

    const received = JSON.parse(
      await readFile(join(plan.job.workDir, 'output', 'received.json'), 'utf8'),
    ) as {
      argv: string[];
      CUDA_VISIBLE_DEVICES: string;
      PYTHONUNBUFFERED: string;
    };
    expect(received.argv).toEqual(plan.command.args.slice(3)); // after --import tsx <script>
    expect(received.CUDA_VISIBLE_DEVICES).toBe('1');
    expect(received.PYTHONUNBUFFERED).toBe('1');
    const log = await readFile(result.logPath, 'utf8');
    expect(log).toContain('epoch 5/5');
    expect(log).toContain('model saved.');
  });

  it('follows the real tqdm output of sd-scripts through pipes, chunked arbitrarily', async () => {
    const engine = createProcessTestEngine({ mode: 'replay' });
    const events: TrainingProgress[] = [];
    const result = await engine.train(await engine.prepare(await newJob()), {
      onProgress: (p) => events.push(p),
    });
    expect(events.at(-1)).toMatchObject({
      step: 400,
      totalSteps: 400,
      epoch: 4,
      totalEpochs: 4,
      percent: 100,
      etaSeconds: 0,
    });
    expect(events.map((e) => e.epoch)).toEqual([...events.map((e) => e.epoch)].sort((a, b) => a - b));
    // Every `epoch k/n` line shows, in order. Which step it arrives beside is not fixed: epochs come on
    // stdout and steps on stderr, two pipes the worker reads as each has data (a busy machine may
    // read a stretch of steps before the epoch line printed among them).
    // (Steps read before the first epoch line carry epoch 0.)
    expect([...new Set(events.map((e) => e.epoch))].filter((epoch) => epoch > 0)).toEqual([1, 2, 3, 4]);
    expect(result.metrics).toMatchObject({ steps: 400, totalSteps: 400, epochs: 4, finalLoss: 2.45e-5 });
  });

  it('trainStyle takes artworks to a validated adapter, listing rejections; the none engine fails it clearly', async () => {
    const artworks = [...images.keys(), 'broken'].map((key) => ({ id: key, storageKey: key, tags: ['ink'] }));
    const loadBytes = async (key: string) => images.get(key) ?? new Uint8Array([0xff, 0xd8, 0xff, 0, 1, 2]);
    const trained = await trainStyle({
      styleId: 'style-full',
      styleName: 'Moonlit Ink',
      artworks,
      loadBytes,
      engine: createProcessTestEngine({ mode: 'success' }),
      workDir: join(root, 'full'),
      seed: 7,
    });
    expect(trained.dataset.rejected).toEqual([
      expect.objectContaining({ artworkId: 'broken', reason: 'corrupt' }),
    ]);
    expect(trained.plan.schedule).toMatchObject({ imageCount: 10, numRepeats: 20, maxTrainSteps: 1000 });
    expect(trained.result.metrics).toMatchObject({ steps: 1000, epochs: 5, imageCount: 10 });
    expect((await readSafetensorsHeader(trained.result.artifactPath)).metadata?.ss_seed).toBe('7');

    const refused = await failureOf(
      trainStyle({
        styleId: 's',
        styleName: 'x',
        artworks,
        loadBytes,
        engine: createNoTrainerEngine(),
        workDir: join(root, 'none'),
        seed: 1,
      }),
    );
    expect(refused).toMatchObject({
      code: 'NO_TRAINER_ENGINE',
      message: 'no trainer engine configured on this host',
    });
  });

  it('a crashing trainer → TRAINER_CRASHED (retryable) quoting its last output', async () => {
    const engine = createProcessTestEngine({ mode: 'crash' });
    const failure = await failureOf(engine.train(await engine.prepare(await newJob())));
    expect(failure.code).toBe('TRAINER_CRASHED');
    expect(failure.retryable).toBe(true);
    expect(failure.message).toContain('exited with code 1');
    expect(failure.message).toContain('RuntimeError: Expected all tensors to be on the same device');
  });

  it('CUDA out-of-memory output → GPU_OOM (retryable)', async () => {
    const engine = createProcessTestEngine({ mode: 'oom' });
    const failure = await failureOf(engine.train(await engine.prepare(await newJob())));
    expect(failure.code).toBe('GPU_OOM');
    expect(failure.retryable).toBe(true);
    expect(failure.message).toMatch(
      /^the trainer ran out of GPU memory: torch.OutOfMemoryError: CUDA out of memory. Tried to allocate 400.00 GiB/,
    );
    expect(failure.message.length).toBeLessThan(400);
  });

  it('a hung trainer past its time limit → TIMEOUT, with the trainer and its grandchild killed', async () => {
    // Long enough for the fake trainer (a tsx process) to start and hang on a busy machine.
    const engine = createProcessTestEngine({ mode: 'hang', grandchild: true, timeLimitMs: 8_000 });
    const plan = await engine.prepare(await newJob());
    const started = Date.now();
    const failure = await failureOf(engine.train(plan));
    expect(failure.code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(25_000);
    const pids = JSON.parse(await readFile(join(plan.job.workDir, 'output', 'pids.json'), 'utf8')) as {
      trainer: number;
      grandchild: number;
    };
    // Both ignore SIGTERM: only the SIGKILL to the whole group can have stopped them.
    expect(await isAlive(pids.trainer)).toBe(false);
    expect(await isAlive(pids.grandchild)).toBe(false);
    expect(await readFile(plan.logPath, 'utf8')).toContain('ignoring SIGTERM');
  });

  it('cancelling through the AbortSignal kills the group and rethrows a JobFailure reason', async () => {
    const engine = createProcessTestEngine({ mode: 'hang', grandchild: true });
    const plan = await engine.prepare(await newJob());
    const controller = new AbortController();
    const training = engine.train(plan, {
      signal: controller.signal,
      onProgress: (p) => {
        if (p.step === 3) controller.abort(new JobFailure('WORKER_SHUTDOWN'));
      },
    });
    const failure = await failureOf(training);
    expect(failure.code).toBe('WORKER_SHUTDOWN');
    const pids = JSON.parse(await readFile(join(plan.job.workDir, 'output', 'pids.json'), 'utf8')) as {
      grandchild: number;
    };
    expect(await isAlive(pids.grandchild)).toBe(false);

    const plain = new AbortController();
    plain.abort();
    expect((await failureOf(engine.train(plan, { signal: plain.signal }))).code).toBe('CANCELLED');
  });

  it('a grandchild left behind by a successful trainer is killed with the group', async () => {
    const engine = createProcessTestEngine({ mode: 'success', grandchild: true });
    const plan = await engine.prepare(await newJob());
    await engine.train(plan);
    const pids = JSON.parse(await readFile(join(plan.job.workDir, 'output', 'pids.json'), 'utf8')) as {
      grandchild: number;
    };
    expect(await isAlive(pids.grandchild)).toBe(false);
  });

  it.each([
    ['garbage', /header length|invalid safetensors/],
    ['nan', /non-finite value \(NaN\)/],
    ['wrong-rank', /rank 4\/4, expected 8/],
  ] as const)('a %s artifact → ARTIFACT_INVALID (permanent)', async (mode, reason) => {
    const engine = createProcessTestEngine({ mode });
    const failure = await failureOf(engine.train(await engine.prepare(await newJob())));
    expect(failure.code).toBe('ARTIFACT_INVALID');
    expect(failure.retryable).toBe(false);
    expect(failure.message).toMatch(reason);
  });

  it('a host without the trainer, its script or the base model fails permanently and says what is missing', async () => {
    const { createKohyaEngine } = await import('../src/index');
    const fixtures = join(import.meta.dirname, 'fixtures');
    const engine = (python: string, sdScriptsDir: string, baseModelPath: string) =>
      createKohyaEngine({
        pythonExecutable: python,
        sdScriptsDir,
        baseModelPath,
        environment: {},
        timeLimitMs: 5_000,
      });
    const trainWith = async (e: ReturnType<typeof engine>) =>
      failureOf(e.train(await e.prepare(await newJob())));

    const noScript = await trainWith(engine(process.execPath, root, join(fixtures, 'base-model')));
    expect(noScript).toMatchObject({ code: 'NO_TRAINER_ENGINE', retryable: false });
    expect(noScript.message).toBe(
      `no trainer engine configured on this host: ${join(root, 'train_network.py')} is missing`,
    );

    const scriptDir = join(root, 'sd-scripts');
    await mkdir(scriptDir, { recursive: true });
    await writeFile(join(scriptDir, 'train_network.py'), '');
    const noModel = await trainWith(engine(process.execPath, scriptDir, join(root, 'no-model.safetensors')));
    expect(noModel).toMatchObject({
      code: 'MODEL_NOT_FOUND',
      message: `base model not found at ${join(root, 'no-model.safetensors')}`,
    });

    const noPython = await trainWith(
      engine(join(root, 'no-such-python'), scriptDir, join(fixtures, 'base-model')),
    );
    expect(noPython.code).toBe('NO_TRAINER_ENGINE');
    expect(noPython.message).toContain('could not start the trainer');

    const none = createNoTrainerEngine();
    const refused = await failureOf(none.prepare(await newJob()));
    expect(refused.code).toBe('NO_TRAINER_ENGINE');
    expect(refused.message).toBe('no trainer engine configured on this host');
    expect(refused.retryable).toBe(false);
  });
});
