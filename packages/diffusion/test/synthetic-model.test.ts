import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@stylelicense/test-kit';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeModel, encodeModel, getInitializerFloats, toHalfBits } from '../src/onnx';
import { buildSyntheticModel, type SyntheticModelResult } from '../src/synthetic';
import { ClipTokenizer } from '../src/tokenizer/clip-tokenizer';

const tempDir = await makeTempDir('synthetic-model');
const root = tempDir.path;
afterAll(() => tempDir.remove());

type Feeds = Record<string, ort.Tensor>;

function randn(count: number, seed: number): Float32Array {
  const out = new Float32Array(count);
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

function floatTensor(type: 'float32' | 'float16', data: Float32Array, dims: number[]): ort.Tensor {
  if (type === 'float32') return new ort.Tensor('float32', data, dims);
  // onnxruntime-node takes fp16 as Uint16Array bit patterns.
  return new ort.Tensor('float16', Uint16Array.from(data, toHalfBits), dims);
}

async function run(path: string, feeds: Feeds): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(path);
  try {
    return await session.run(feeds);
  } finally {
    await session.release();
  }
}

function allFinite(t: ort.Tensor): boolean {
  return Array.from(t.data as Float32Array).every(Number.isFinite);
}

describe('synthetic tiny model (fp32)', () => {
  let model: SyntheticModelResult;
  beforeAll(() => {
    model = buildSyntheticModel({ preset: 'tiny', dir: join(root, 'tiny'), seed: 7 });
  });

  it('writes the Optimum ONNX folder layout', () => {
    const paths = model.files.map((f) => f.path);
    for (const p of [
      'model_index.json',
      'text_encoder/model.onnx',
      'unet/model.onnx',
      'vae_decoder/model.onnx',
      'vae_encoder/model.onnx',
      'tokenizer/vocab.json',
      'tokenizer/merges.txt',
      'scheduler/scheduler_config.json',
    ]) {
      expect(paths).toContain(p);
    }
    const scheduler = JSON.parse(readFileSync(join(model.dir, 'scheduler/scheduler_config.json'), 'utf8'));
    expect(scheduler).toMatchObject({
      num_train_timesteps: 1000,
      beta_start: 0.00085,
      beta_end: 0.012,
      beta_schedule: 'scaled_linear',
      prediction_type: 'epsilon',
    });
  });

  it('ships a CLIP BPE vocabulary the tokenizer can use', async () => {
    const tokenizer = await ClipTokenizer.fromDirectory(join(model.dir, 'tokenizer'));
    const ids = tokenizer.encode('a watercolor painting of a cat');
    expect(ids).toHaveLength(77);
    expect(ids[0]).toBe(tokenizer.bosId);
    const vocab = JSON.parse(readFileSync(join(model.dir, 'tokenizer/vocab.json'), 'utf8')) as Record<
      string,
      number
    >;
    // Learned merges make whole words single tokens; the end-of-text token has the highest id.
    expect(vocab['painting</w>']).toBeGreaterThan(511);
    expect(vocab['<|endoftext|>']).toBe(Math.max(...Object.values(vocab)));
    expect(ids.slice(1, 7).every((id) => id !== tokenizer.eosId)).toBe(true);
  });

  it('text encoder: int32 input_ids [batch, 77] → last_hidden_state [batch, 77, 32] and pooler_output', async () => {
    const session = await ort.InferenceSession.create(join(model.dir, 'text_encoder/model.onnx'));
    expect(session.inputNames).toEqual(['input_ids']);
    expect(session.outputNames).toEqual(['last_hidden_state', 'pooler_output']);
    expect(session.inputMetadata[0]).toMatchObject({ type: 'int32' });
    const ids = new Int32Array(2 * 77).fill(100);
    ids[5] = 900;
    const out = await session.run({ input_ids: new ort.Tensor('int32', ids, [2, 77]) });
    await session.release();
    expect(out.last_hidden_state!.dims).toEqual([2, 77, 32]);
    expect(out.pooler_output!.dims).toEqual([2, 32]);
    expect(allFinite(out.last_hidden_state!)).toBe(true);
    // Pooled output = hidden state at the highest token id of each row (row 0: position 5).
    const hidden = out.last_hidden_state!.data as Float32Array;
    const pooled = out.pooler_output!.data as Float32Array;
    expect(Array.from(pooled.slice(0, 32))).toEqual(Array.from(hidden.slice(5 * 32, 6 * 32)));
  });

  it.each([
    [64, 64],
    [64, 128],
  ])('unet runs at %i×%i latents with CFG batch 2 and one timestep', async (h, w) => {
    const session = await ort.InferenceSession.create(join(model.dir, 'unet/model.onnx'));
    expect(session.inputNames).toEqual(['sample', 'timestep', 'encoder_hidden_states']);
    expect(session.inputMetadata.map((m) => (m.isTensor ? m.type : ''))).toEqual([
      'float32',
      'int64',
      'float32',
    ]);
    const out = await session.run({
      sample: new ort.Tensor('float32', randn(2 * 4 * h * w, 1), [2, 4, h, w]),
      timestep: new ort.Tensor('int64', BigInt64Array.from([981n]), [1]),
      encoder_hidden_states: new ort.Tensor('float32', randn(2 * 77 * 32, 2), [2, 77, 32]),
    });
    await session.release();
    expect(out.out_sample!.dims).toEqual([2, 4, h, w]);
    expect(allFinite(out.out_sample!)).toBe(true);
  });

  it('unet output depends on the timestep and the text', async () => {
    const path = join(model.dir, 'unet/model.onnx');
    const sample = new ort.Tensor('float32', randn(4 * 16 * 16, 3), [1, 4, 16, 16]);
    const text = (seed: number) => new ort.Tensor('float32', randn(77 * 32, seed), [1, 77, 32]);
    const at = (t: bigint, s: number) =>
      run(path, {
        sample,
        timestep: new ort.Tensor('int64', BigInt64Array.from([t]), [1]),
        encoder_hidden_states: text(s),
      });
    const a = (await at(10n, 4)).out_sample!.data as Float32Array;
    const b = (await at(900n, 4)).out_sample!.data as Float32Array;
    const c = (await at(10n, 5)).out_sample!.data as Float32Array;
    expect(a).not.toEqual(b);
    expect(a).not.toEqual(c);
  });

  it('vae decoder maps [1, 4, 64, 64] latents to a [1, 3, 512, 512] image', async () => {
    const out = await run(join(model.dir, 'vae_decoder/model.onnx'), {
      latent_sample: new ort.Tensor('float32', randn(4 * 64 * 64, 6), [1, 4, 64, 64]),
    });
    expect(out.sample!.dims).toEqual([1, 3, 512, 512]);
    expect(allFinite(out.sample!)).toBe(true);
  });

  it('vae encoder maps a [1, 3, 256, 256] image to [1, 8, 32, 32] latent parameters (mean, log-variance)', async () => {
    const image = new ort.Tensor('float32', randn(3 * 256 * 256, 8), [1, 3, 256, 256]);
    const out = await run(join(model.dir, 'vae_encoder/model.onnx'), { sample: image });
    expect(out.latent_parameters!.dims).toEqual([1, 8, 32, 32]);
    expect(allFinite(out.latent_parameters!)).toBe(true);
    // Different images give different latents: the encoder is not a constant.
    const other = await run(join(model.dir, 'vae_encoder/model.onnx'), {
      sample: new ort.Tensor('float32', randn(3 * 256 * 256, 9), [1, 3, 256, 256]),
    });
    expect(other.latent_parameters!.data).not.toEqual(out.latent_parameters!.data);
  });

  it('names weights with diffusers / transformers parameter names', () => {
    const unet = decodeModel(readFileSync(join(model.dir, 'unet/model.onnx')));
    const names = new Set(unet.graph.initializers.map((t) => t.name));
    for (const n of [
      'conv_in.weight',
      'time_embedding.linear_1.weight',
      'down_blocks.0.resnets.0.conv1.weight',
      'down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_q.weight',
      'down_blocks.1.attentions.0.transformer_blocks.0.attn2.to_k.weight',
      'down_blocks.1.attentions.0.transformer_blocks.0.ff.net.0.proj.weight',
      'down_blocks.0.downsamplers.0.conv.weight',
      'mid_block.attentions.0.proj_in.weight',
      'up_blocks.0.attentions.1.transformer_blocks.0.attn2.to_out.0.bias',
      'up_blocks.0.upsamplers.0.conv.weight',
      'conv_out.bias',
    ]) {
      expect(names).toContain(n);
    }
    // Linear weights are stored [in, out] (MatMul's right operand): ff.net.2 maps 4×64 → 64 channels.
    const ffOut = unet.graph.initializers.find(
      (t) => t.name === 'down_blocks.1.attentions.0.transformer_blocks.0.ff.net.2.weight',
    );
    expect(ffOut?.dims).toEqual([256, 64]);
    const te = decodeModel(readFileSync(join(model.dir, 'text_encoder/model.onnx')));
    expect(te.graph.initializers.map((t) => t.name)).toContain(
      'text_model.encoder.layers.1.self_attn.q_proj.weight',
    );
  });

  it('decode → encode round-trips a generated sub-model byte for byte', () => {
    const bytes = readFileSync(join(model.dir, 'unet/model.onnx'));
    const decoded = decodeModel(bytes);
    const again = encodeModel(decoded);
    expect(Buffer.from(again).equals(bytes)).toBe(true);
    const w = getInitializerFloats(decodeModel(again), 'conv_in.weight');
    expect(w).toHaveLength(32 * 4 * 3 * 3);
    expect(w).toEqual(getInitializerFloats(decoded, 'conv_in.weight'));
  });

  it('the same seed gives byte-identical files, another seed different weights', () => {
    const again = buildSyntheticModel({ preset: 'tiny', dir: join(root, 'tiny-again'), seed: 7 });
    const other = buildSyntheticModel({ preset: 'tiny', dir: join(root, 'tiny-other'), seed: 8 });
    const digest = (dir: string, p: string) =>
      createHash('sha256')
        .update(readFileSync(join(dir, p)))
        .digest('hex');
    for (const f of model.files) expect(digest(again.dir, f.path), f.path).toBe(digest(model.dir, f.path));
    expect(digest(other.dir, 'unet/model.onnx')).not.toBe(digest(model.dir, 'unet/model.onnx'));
  });

  it('stores weights as external data (as sd15 fp32 does) and runs the same', async () => {
    const ext = buildSyntheticModel({
      preset: 'tiny',
      dir: join(root, 'tiny-ext'),
      seed: 7,
      externalDataAbove: 0,
    });
    expect(ext.files.map((f) => f.path)).toContain('unet/model.onnx_data');
    const feeds = {
      sample: new ort.Tensor('float32', randn(2 * 4 * 16 * 16, 9), [2, 4, 16, 16]),
      timestep: new ort.Tensor('int64', BigInt64Array.from([10n]), [1]),
      encoder_hidden_states: new ort.Tensor('float32', randn(2 * 77 * 32, 10), [2, 77, 32]),
    };
    const a = await run(join(ext.dir, 'unet/model.onnx'), feeds);
    const b = await run(join(model.dir, 'unet/model.onnx'), feeds);
    expect(a.out_sample!.data).toEqual(b.out_sample!.data);
  });

  it('refuses to overwrite an existing folder and rejects bad options', () => {
    expect(() => buildSyntheticModel({ preset: 'tiny', dir: model.dir })).toThrow(/already exists/);
    expect(() => buildSyntheticModel({ preset: 'huge' as 'tiny', dir: join(root, 'x') })).toThrow(
      /Unknown synthetic model preset/,
    );
    expect(() => buildSyntheticModel({ preset: 'tiny', dir: join(root, 'y'), seed: -1 })).toThrow(/seed/);
  });
});

describe('synthetic tiny model (fp16)', () => {
  let dir: string;
  beforeAll(() => {
    dir = buildSyntheticModel({ preset: 'tiny', dir: join(root, 'tiny-fp16'), dtype: 'fp16', seed: 7 }).dir;
  });

  it('loads with float16 inputs (timestep stays int64) and runs every sub-model', async () => {
    const te = await run(join(dir, 'text_encoder/model.onnx'), {
      input_ids: new ort.Tensor('int32', new Int32Array(77).fill(3), [1, 77]),
    });
    expect(te.last_hidden_state!.type).toBe('float16');
    expect(te.last_hidden_state!.dims).toEqual([1, 77, 32]);

    const session = await ort.InferenceSession.create(join(dir, 'unet/model.onnx'));
    expect(session.inputMetadata.map((m) => (m.isTensor ? m.type : ''))).toEqual([
      'float16',
      'int64',
      'float16',
    ]);
    const out = await session.run({
      sample: floatTensor('float16', randn(2 * 4 * 32 * 32, 1), [2, 4, 32, 32]),
      timestep: new ort.Tensor('int64', BigInt64Array.from([500n]), [1]),
      encoder_hidden_states: floatTensor('float16', randn(2 * 77 * 32, 2), [2, 77, 32]),
    });
    await session.release();
    expect(out.out_sample!.type).toBe('float16');
    expect(out.out_sample!.dims).toEqual([2, 4, 32, 32]);

    const vae = await run(join(dir, 'vae_decoder/model.onnx'), {
      latent_sample: floatTensor('float16', randn(4 * 16 * 16, 3), [1, 4, 16, 16]),
    });
    expect(vae.sample!.dims).toEqual([1, 3, 128, 128]);
  });

  it('keeps Resize scales fp32 and stores weights as fp16', () => {
    const unet = decodeModel(readFileSync(join(dir, 'unet/model.onnx')));
    const resize = unet.graph.nodes.find((n) => n.opType === 'Resize')!;
    const scales = unet.graph.initializers.find((t) => t.name === resize.inputs[2]);
    expect(scales?.dataType).toBe(1);
    expect(unet.graph.initializers.find((t) => t.name === 'conv_in.weight')?.dataType).toBe(10);
  });
});
