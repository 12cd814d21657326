// The runtime low-rank path must compute what merging the LoRA into the weights computes.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@stylelicense/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { mergeLoraIntoModel, parseLora, type LoraLayer } from '../src/lora';
import {
  addRuntimeLoraInputs,
  loraFeeds,
  packStyleFactors,
  type RuntimeLoraModel,
} from '../src/lora-runtime';
import { decodeModel, encodeModel } from '../src/onnx';
import { createSession } from '../src/pipeline/execution-provider';
import { loadOrt, type InferenceSession, type OrtTensor } from '../src/pipeline/ort';
import { floatTensor, inputSpecs, readFloats } from '../src/pipeline/tensors';
import { SeededNoise } from '../src/schedulers';
import { buildSyntheticModel } from '../src/synthetic';
import {
  buildTinyModel,
  kohyaLora,
  peftLora,
  randomLoraWeights,
  type LoraLayerSpec,
} from './pipeline-fixtures';

const tempDir = await makeTempDir('lora-runtime');
afterAll(() => tempDir.remove());

const MAX_RANK = 8;
const STRENGTH = 0.8;
const cpu = { provider: 'cpu' } as const;

type Component = 'unet' | 'text_encoder';

async function runtimeSession(rewritten: RuntimeLoraModel): Promise<InferenceSession> {
  const bytes = encodeModel(rewritten.model);
  return createSession({ model: bytes, byteLength: bytes.byteLength }, cpu, 'runtime');
}

/** A fixed batch of 2 model inputs (UNet: latents, timestep, text context; text encoder: token ids). */
function baseFeeds(session: InferenceSession, component: Component): Record<string, OrtTensor> {
  const { Tensor } = loadOrt();
  const specs = inputSpecs(session, component);
  const noise = new SeededNoise(5);
  if (component === 'text_encoder') {
    const tokens = Int32Array.from({ length: 2 * 77 }, (_, i) => (i * 7919) % 500);
    return { [specs.get('input_ids')!.name]: new Tensor('int32', tokens, [2, 77]) };
  }
  const sample = specs.get('sample')!;
  const context = specs.get('encoder_hidden_states')!;
  const hidden = Number(context.shape[2]);
  const timestep = specs.get('timestep')!;
  return {
    [sample.name]: floatTensor(noise.gaussian(2 * 4 * 8 * 8), sample, [2, 4, 8, 8]),
    [timestep.name]: new Tensor('int64', BigInt64Array.from([500n]), [1]),
    [context.name]: floatTensor(noise.gaussian(2 * 77 * hidden), context, [2, 77, hidden]),
  };
}

async function output(session: InferenceSession, feeds: Record<string, OrtTensor>): Promise<Float32Array> {
  const results = await session.run(feeds);
  return Float32Array.from(readFloats(results[session.outputNames[0]!], 'test'));
}

function relativeDifference(a: Float32Array, b: Float32Array): number {
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return diff / scale;
}

describe.each(['fp32', 'fp16'] as const)('runtime LoRA inputs on the tiny %s model', (dtype) => {
  const modelDir = buildTinyModel(join(tempDir.path, dtype), dtype);
  const tolerance = dtype === 'fp32' ? 1e-4 : 1.5e-2;

  describe.each(['unet', 'text_encoder'] as const)('%s', (component) => {
    const file = join(modelDir, component, 'model.onnx');
    const rewritten = addRuntimeLoraInputs(decodeModel(readFileSync(file)), { maxRank: MAX_RANK });
    const specs: LoraLayerSpec[] = rewritten.targets.map((t) => ({
      component,
      module: t.target,
      in: t.in,
      out: t.out,
      conv: t.kind === 'conv1x1',
    }));

    it('targets every attention, feed-forward and 1×1 projection (incl. resnet shortcuts)', () => {
      const names = rewritten.targets.map((t) => t.target.split('.').slice(-2).join('.'));
      if (component === 'unet') {
        for (const m of [
          'attn1.to_q',
          'attn2.to_k',
          'attn2.to_out.0',
          'ff.net.0.proj',
          'ff.net.2',
          'proj_in',
        ])
          expect(rewritten.targets.some((t) => t.target.endsWith(`.${m}`))).toBe(true);
        expect(rewritten.targets.some((t) => t.kind === 'conv1x1')).toBe(true);
        expect(rewritten.targets.some((t) => t.target.endsWith('.conv_shortcut'))).toBe(true);
        // 3×3 convolutions and the time embedding projection have no runtime path.
        expect(rewritten.targets.some((t) => /\.(conv1|conv2|time_emb_proj)$/.test(t.target))).toBe(false);
      } else {
        expect(new Set(names.map((n) => n.split('.')[1]))).toEqual(
          new Set(['q_proj', 'k_proj', 'v_proj', 'out_proj', 'fc1', 'fc2']),
        );
      }
      const inputs = rewritten.model.graph.inputs.map((i) => i.name);
      expect(inputs).toContain('lora_scale');
      expect(inputs).toContain(rewritten.targets[0]!.a.name);
    });

    it('computes the base model exactly when no item has a style', async () => {
      const base = await createSession({ model: file, byteLength: 0 }, cpu, 'base');
      const runtime = await runtimeSession(rewritten);
      const feeds = baseFeeds(base, component);
      const expected = await output(base, feeds);
      const actual = await output(runtime, {
        ...feeds,
        ...loraFeeds(rewritten, [{ strength: 1 }, { strength: 1 }]),
      });
      expect(relativeDifference(actual, expected)).toBeLessThan(dtype === 'fp32' ? 1e-6 : 1e-3);
      await Promise.all([base.release(), runtime.release()]);
    });

    it.each([
      ['kohya', 4],
      ['kohya', MAX_RANK],
      ['peft', 4],
      ['peft', MAX_RANK],
    ] as const)('equals the merged model (%s keys, rank %i)', async (format, rank) => {
      const weights = randomLoraWeights(rank * 31 + format.length, specs, 0.4, rank);
      const layers: LoraLayer[] = parseLora(
        format === 'kohya' ? kohyaLora(weights) : peftLora(weights),
      ).layers;
      expect(layers).toHaveLength(rewritten.targets.length);
      const merged = await createSession(await mergeLoraIntoModel(file, layers, STRENGTH), cpu, 'merged');
      const base = await createSession({ model: file, byteLength: 0 }, cpu, 'base');
      const runtime = await runtimeSession(rewritten);
      const feeds = baseFeeds(merged, component);
      const factors = packStyleFactors(layers, rewritten);
      const want = await output(merged, feeds);
      const got = await output(runtime, {
        ...feeds,
        ...loraFeeds(rewritten, [
          { factors, strength: STRENGTH },
          { factors, strength: STRENGTH },
        ]),
      });
      // The style must change the output far more than the two paths differ.
      const effect = relativeDifference(await output(base, feeds), want);
      expect(effect).toBeGreaterThan(0.05);
      expect(relativeDifference(got, want)).toBeLessThan(tolerance);
      await Promise.all([merged.release(), base.release(), runtime.release()]);
    });
  });
});

describe('runtime LoRA inputs on the fused (com.microsoft) form', () => {
  it('finds the same targets as the plain form, including Q/K/V packed for MultiHeadAttention', () => {
    const plainDir = buildTinyModel(join(tempDir.path, 'plain-3'), 'fp16');
    const fusedDir = join(tempDir.path, 'fused-3');
    buildSyntheticModel({ preset: 'tiny', dir: fusedDir, dtype: 'fp16', fused: true, seed: 7 });
    const rewrite = (dir: string) =>
      addRuntimeLoraInputs(decodeModel(readFileSync(join(dir, 'unet', 'model.onnx'))), { maxRank: 16 });
    const plain = rewrite(plainDir);
    const fused = rewrite(fusedDir);
    const shape = (r: RuntimeLoraModel) =>
      r.targets.map((t) => `${t.target} ${t.kind} ${t.in}→${t.out}`).sort();
    expect(shape(fused)).toEqual(shape(plain));
    // Self-attention Q/K/V reach MultiHeadAttention through one packed MatMul; their deltas are packed alike.
    const packedDeltas = fused.model.graph.nodes.filter(
      (n) => n.opType === 'Concat' && n.inputs.length === 3 && n.name?.startsWith('lora_'),
    );
    expect(packedDeltas.length).toBeGreaterThan(0);
  });
});

describe('packing a style for the runtime path', () => {
  const modelDir = buildTinyModel(join(tempDir.path, 'pack'), 'fp32');
  const rewritten = addRuntimeLoraInputs(decodeModel(readFileSync(join(modelDir, 'unet', 'model.onnx'))), {
    maxRank: 4,
  });
  const target = rewritten.targets[0]!;
  const spec: LoraLayerSpec = { component: 'unet', module: target.target, in: target.in, out: target.out };

  it('refuses a LoRA whose rank exceeds the maximum rank', () => {
    const layers = parseLora(peftLora(randomLoraWeights(1, [spec], 0.4, 8))).layers;
    expect(() => packStyleFactors(layers, rewritten)).toThrow(
      expect.objectContaining({
        code: 'LORA_INVALID',
        message: expect.stringMatching(/rank 8 exceeds the maximum rank 4/),
      }),
    );
  });

  it('refuses a layer the runtime path does not serve instead of dropping it', () => {
    const resnet: LoraLayerSpec = { component: 'unet', module: 'time_embedding.linear_1', in: 32, out: 128 };
    const layers = parseLora(kohyaLora(randomLoraWeights(2, [spec, resnet], 0.4, 2))).layers;
    expect(() => packStyleFactors(layers, rewritten)).toThrow(
      expect.objectContaining({
        code: 'LORA_INVALID',
        message: expect.stringMatching(/match no projection/),
      }),
    );
  });
});
