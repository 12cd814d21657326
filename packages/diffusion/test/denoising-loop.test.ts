// The denoising loop reuses its UNet input tensors and output buffers across steps; these check
// that doing so changes nothing, on the real tiny model in ONNX Runtime.
import { join } from 'node:path';
import { makeTempDir } from '@stylelicense/test-kit';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import { createSession } from '../src/pipeline/execution-provider';
import { openModelFolder } from '../src/pipeline/model-folder';
import type { InferenceSession } from '../src/pipeline/ort';
import type { GenerateRequest, LoadedModel } from '../src/pipeline/requests';
import { generateWithModel } from '../src/pipeline/text-to-image';
import { ClipTokenizer } from '../src/tokenizer/clip-tokenizer';
import { buildTinyModel, maxPixelDifference } from './pipeline-fixtures';

const tempDir = await makeTempDir('denoise');
const root = tempDir.path;
const models: LoadedModel[] = [];

async function loadModel(dir: string): Promise<LoadedModel> {
  const folder = await openModelFolder(dir);
  const session = (file: string): Promise<InferenceSession> =>
    createSession({ model: file, byteLength: 0 }, { provider: 'cpu' }, file);
  const model: LoadedModel = {
    folder,
    tokenizer: await ClipTokenizer.fromDirectory(folder.tokenizerDir),
    textEncoder: await session(folder.textEncoder),
    unet: await session(folder.unet),
    vaeDecoder: await session(folder.vaeDecoder),
    provider: 'cpu',
  };
  models.push(model);
  return model;
}

/** The same session seen through a wrapper: `run` may rewrite the feeds, metadata may be edited. */
function wrapSession(
  session: InferenceSession,
  options: {
    feeds?: (feeds: Record<string, ort.Tensor>) => Record<string, ort.Tensor>;
    inputMetadata?: InferenceSession['inputMetadata'];
  },
): InferenceSession {
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    inputMetadata: options.inputMetadata ?? session.inputMetadata,
    run: (feeds: Record<string, ort.Tensor>) => session.run(options.feeds ? options.feeds(feeds) : feeds),
  } as unknown as InferenceSession;
}

/** Every input in a tensor of its own, as if the pipeline allocated fresh buffers each step. */
const freshCopies = (feeds: Record<string, ort.Tensor>): Record<string, ort.Tensor> =>
  Object.fromEntries(
    Object.entries(feeds).map(([name, t]) => [
      name,
      new ort.Tensor(t.type, (t.data as Float32Array | Uint16Array | BigInt64Array).slice(), t.dims),
    ]),
  );

const request = (modelDir: string, overrides: Partial<GenerateRequest> = {}): GenerateRequest => ({
  modelDir,
  prompt: 'a watercolor fox in the snow',
  negativePrompt: 'blurry',
  width: 64,
  height: 64,
  steps: 4,
  guidanceScale: 7.5,
  seed: 42,
  ...overrides,
});

afterAll(async () => {
  for (const model of models) {
    for (const session of [model.textEncoder, model.unet, model.vaeDecoder]) await session.release();
  }
  await tempDir.remove();
});

describe('denoising loop buffers', () => {
  for (const dtype of ['fp32', 'fp16'] as const) {
    it(`reusing the UNet input tensors across steps gives the pixels fresh tensors give (${dtype})`, async () => {
      const model = await loadModel(buildTinyModel(join(root, `tiny-${dtype}`), dtype));
      const fresh: LoadedModel = { ...model, unet: wrapSession(model.unet, { feeds: freshCopies }) };
      for (const scheduler of ['euler-ancestral', 'dpmpp-2m-karras', 'lcm'] as const) {
        for (const guidanceScale of [7.5, 0]) {
          const req = request(model.folder.dir, { scheduler, guidanceScale });
          const reused = await generateWithModel(model, req);
          const copied = await generateWithModel(fresh, req);
          expect(Buffer.from(reused.pixels).equals(Buffer.from(copied.pixels)), scheduler).toBe(true);
        }
      }
    });
  }

  it('guides a UNet exported with a fixed batch of 1 by two runs per step, like one batch-2 run', async () => {
    const model = await loadModel(buildTinyModel(join(root, 'tiny-batch1')));
    let runs = 0;
    const batchOne: LoadedModel = {
      ...model,
      unet: wrapSession(model.unet, {
        inputMetadata: model.unet.inputMetadata.map((meta) =>
          meta.name === 'sample' && meta.isTensor ? { ...meta, shape: [1, ...meta.shape.slice(1)] } : meta,
        ),
        feeds: (feeds) => {
          runs++;
          expect(feeds.sample!.dims[0]).toBe(1);
          return feeds;
        },
      }),
    };
    const req = request(model.folder.dir);
    const separate = await generateWithModel(batchOne, req);
    expect(runs).toBe(2 * req.steps);
    const batched = await generateWithModel(model, req);
    expect(maxPixelDifference(separate.pixels, batched.pixels)).toBeLessThanOrEqual(1);
  });
});
