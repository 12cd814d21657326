import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { threadId as mainThreadId } from 'node:worker_threads';
import { makeTempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DiffusionEngine,
  DiffusionWorker,
  silentLogger,
  type GenerateRequest,
  type GenerationProgress,
} from '../src';
import { buildTinyModel } from './pipeline-fixtures';

const tempDir = await makeTempDir('worker');
const root = tempDir.path;
let modelDir = '';
let worker: DiffusionWorker;
const logged: string[] = [];

const request = (overrides: Partial<GenerateRequest> = {}): GenerateRequest => ({
  modelDir,
  prompt: 'a paper-cut owl',
  width: 64,
  height: 64,
  steps: 4,
  guidanceScale: 6,
  seed: 9,
  ...overrides,
});

beforeAll(async () => {
  modelDir = buildTinyModel(join(root, 'tiny'));
  worker = await DiffusionWorker.start({
    provider: { provider: 'cpu' },
    logger: { info: (m) => logged.push(m), warn: (m) => logged.push(m) },
  });
});

afterAll(async () => {
  await worker?.close();
  await tempDir.remove();
});

describe('inference in a worker thread', () => {
  it('runs in another thread, keeps the event loop free and matches in-process pixels', async () => {
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const image = await worker.generate(request({ width: 256, height: 256 }));
    clearInterval(timer);
    expect(image.threadId).not.toBe(mainThreadId);
    expect(image.pixels.length).toBe(256 * 256 * 3);
    // The main loop kept ticking while the thread ran ONNX Runtime (≈ a second of work).
    expect(ticks).toBeGreaterThan(5);
    // The thread's logs reach the main logger, naming the provider that runs.
    expect(logged).toContain('onnxruntime execution provider: cpu');

    const local = new DiffusionEngine({ logger: silentLogger });
    try {
      const same = await local.generate(request({ width: 256, height: 256 }));
      expect(Buffer.from(same.pixels).equals(Buffer.from(image.pixels))).toBe(true);
    } finally {
      await local.close();
    }
  }, 60_000);

  it('streams progress back in order', async () => {
    const events: GenerationProgress[] = [];
    await worker.generate(request({ steps: 6 }), { onProgress: (p) => events.push(p) });
    expect(events.map((e) => e.step)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(events.at(-1)!.percent).toBe(100);
  });

  it("carries the thread's cache counts back: a request on a loaded model hits its three sessions", async () => {
    await worker.generate(request());
    const before = worker.cacheCounts;
    expect(before.session.misses).toBeGreaterThanOrEqual(3);
    await worker.generate(request({ seed: 10 }));
    expect(worker.cacheCounts).toEqual({
      session: { hits: before.session.hits + 3, misses: before.session.misses },
      loraFactors: before.loraFactors,
    });
  });

  it('cancels through the thread', async () => {
    const controller = new AbortController();
    const steps: number[] = [];
    const run = worker.generate(request({ steps: 50 }), {
      signal: controller.signal,
      onProgress: (p) => {
        steps.push(p.step);
        if (p.step === 2) controller.abort();
      },
    });
    await expect(run).rejects.toMatchObject({ code: 'CANCELLED', retryable: false });
    expect(steps.length).toBeLessThan(50);
    // The thread is still usable afterwards.
    const image = await worker.generate(request({ steps: 1 }));
    expect(image.pixels.length).toBe(64 * 64 * 3);
  });

  it('passes typed errors back with their codes', async () => {
    await expect(worker.generate(request({ modelDir: join(root, 'missing') }))).rejects.toMatchObject({
      name: 'DiffusionError',
      code: 'MODEL_NOT_FOUND',
      retryable: false,
    });
    await expect(
      worker.generate(request({ lora: { path: join(root, 'none.safetensors'), strength: 1 } })),
    ).rejects.toMatchObject({ code: 'LORA_INVALID' });
  });
});

describe('inference thread lifecycle', () => {
  it('preloads a model, and reports a missing one', async () => {
    await expect(worker.preload(modelDir)).resolves.toBeUndefined();
    await expect(worker.preload(join(root, 'missing'))).rejects.toMatchObject({ code: 'MODEL_NOT_FOUND' });
  });

  it('fails requests of a thread that dies with a retryable error and starts a new thread', async () => {
    // A stand-in thread that announces itself and dies on its first request.
    const entry = join(root, 'dying-thread.mjs');
    await writeFile(
      entry,
      [
        "import { parentPort, threadId } from 'node:worker_threads';",
        "parentPort.postMessage({ type: 'ready', threadId });",
        "parentPort.on('message', () => process.exit(7));",
      ].join('\n'),
    );
    const dying = await DiffusionWorker.start({ entry: pathToFileURL(entry), logger: silentLogger });
    try {
      const first = await dying.threadId();
      await expect(dying.generate(request())).rejects.toMatchObject({
        code: 'INFERENCE_FAILED',
        retryable: true,
      });
      const second = await dying.threadId();
      expect(second).not.toBe(first);
    } finally {
      await dying.close();
    }
  });
});
