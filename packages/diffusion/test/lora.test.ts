import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodeSafetensors, type TensorInputs } from '@stylelicense/safetensors';
import { makeTempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  applyDelta,
  mergeLoraIntoModel,
  parseLora,
  readLoraFile,
  type LoraLayer,
  type SessionSource,
} from '../src/lora';
import { DataType, encodeModel, GraphBuilder, writeModelWithExternalData, type OnnxModel } from '../src/onnx';
import { createSession } from '../src/pipeline/execution-provider';
import { loadOrt } from '../src/pipeline/ort';

const BLOCK = 'down_blocks.0.attentions.0.transformer_blocks.0.attn1';
const IN = 4;
const OUT = 3;

/** PyTorch-layout [out, in] weights of four modules, exported the ways torch.onnx does. */
const base: Record<string, number[]> = {
  to_q: [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0],
  to_k: [0.5, 0.5, 0, 0, 0, 0.5, 0.5, 0, 0, 0, 0.5, 0.5],
  to_v: [1, 1, 1, 1, 0, 0, 0, 0, -1, 0, 1, 0],
  proj_in: [0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0],
};

function transpose(values: number[], rows: number, cols: number): Float32Array {
  const out = new Float32Array(values.length);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = values[r * cols + c]!;
  return out;
}
const f32 = (values: ArrayLike<number>): Uint8Array => new Uint8Array(Float32Array.from(values).buffer);

function attentionModel(): OnnxModel {
  const g = new GraphBuilder('lora-test');
  const x = g.input('x', DataType.FLOAT, [1, IN]);
  // Linear as MatMul with a named, transposed [in, out] weight (the synthetic models' layout).
  const wq = g.initializer(
    `${BLOCK}.to_q.weight`,
    DataType.FLOAT,
    [IN, OUT],
    f32(transpose(base.to_q!, OUT, IN)),
  );
  g.output(g.node('MatMul', [x, wq]), 'q', DataType.FLOAT, [1, OUT]);
  // Linear as Gemm(transB=1) keeping PyTorch's [out, in].
  const wk = g.initializer(`${BLOCK}.to_k.weight`, DataType.FLOAT, [OUT, IN], f32(base.to_k!));
  g.output(g.node('Gemm', [x, wk], { transB: 1 }), 'k', DataType.FLOAT, [1, OUT]);
  // An anonymous weight: only the torch.onnx node name carries the module path.
  const wv = g.initializer('onnx::MatMul_99', DataType.FLOAT, [IN, OUT], f32(transpose(base.to_v!, OUT, IN)));
  g.output(
    g.node(
      'MatMul',
      [x, wv],
      {},
      { name: `/${BLOCK.replaceAll('.', '/').replace(/\/(\d+)/g, '.$1')}/to_v/MatMul` },
    ),
    'v',
    DataType.FLOAT,
    [1, OUT],
  );
  // 1×1 Conv [out, in, 1, 1].
  const image = g.node('Reshape', [x, g.int64s([1, IN, 1, 1])]);
  const wc = g.initializer(
    'down_blocks.0.attentions.0.proj_in.weight',
    DataType.FLOAT,
    [OUT, IN, 1, 1],
    f32(base.proj_in!),
  );
  const conv = g.node('Conv', [image, wc]);
  g.output(g.node('Reshape', [conv, g.int64s([1, OUT])]), 'c', DataType.FLOAT, [1, OUT]);
  return g.toModel([{ domain: '', version: 17 }]);
}

const input = [0.5, -1, 2, 1];
const rank = 2;
const down = [1, 0, 2, 0, 0, 1, 0, -1]; // [rank, in]
const up = [1, 0, 0, 2, 1, 1]; // [out, rank]
const alpha = 1; // scale = alpha / rank = 0.5

/** Expected output of module `name` after merging at `strength`: x · (W + s·α/r·up·down)ᵀ. */
function expected(name: string, strength: number): number[] {
  const w = base[name]!;
  const factor = strength * (alpha / rank);
  return Array.from({ length: OUT }, (_, o) => {
    let sum = 0;
    for (let i = 0; i < IN; i++) {
      let delta = 0;
      for (let r = 0; r < rank; r++) delta += up[o * rank + r]! * down[r * IN + i]!;
      sum += input[i]! * (w[o * IN + i]! + factor * delta);
    }
    return sum;
  });
}

const modules = ['to_q', 'to_k', 'to_v'] as const;

function kohyaTensors(): TensorInputs {
  const tensors: Record<string, { dtype: 'F32' | 'F16'; shape: number[]; values: number[] }> = {};
  for (const m of modules) {
    const key = `lora_unet_${BLOCK.replaceAll('.', '_')}_${m}`;
    tensors[`${key}.lora_down.weight`] = { dtype: 'F16', shape: [rank, IN], values: down };
    tensors[`${key}.lora_up.weight`] = { dtype: 'F16', shape: [OUT, rank], values: up };
    tensors[`${key}.alpha`] = { dtype: 'F32', shape: [], values: [alpha] };
  }
  const conv = 'lora_unet_down_blocks_0_attentions_0_proj_in';
  tensors[`${conv}.lora_down.weight`] = { dtype: 'F32', shape: [rank, IN, 1, 1], values: down };
  tensors[`${conv}.lora_up.weight`] = { dtype: 'F32', shape: [OUT, rank, 1, 1], values: up };
  tensors[`${conv}.alpha`] = { dtype: 'F32', shape: [], values: [alpha] };
  return tensors;
}

function peftTensors(): TensorInputs {
  const tensors: Record<string, { dtype: 'F32'; shape: number[]; values: number[] }> = {};
  for (const m of [...modules, 'proj_in']) {
    const key = m === 'proj_in' ? 'unet.down_blocks.0.attentions.0.proj_in' : `unet.${BLOCK}.${m}`;
    const kernel = m === 'proj_in' ? [1, 1] : [];
    tensors[`${key}.lora_A.weight`] = { dtype: 'F32', shape: [rank, IN, ...kernel], values: down };
    tensors[`${key}.lora_B.weight`] = { dtype: 'F32', shape: [OUT, rank, ...kernel], values: up };
    tensors[`${key}.alpha`] = { dtype: 'F32', shape: [], values: [alpha] };
  }
  return tensors;
}

async function runAll(source: SessionSource): Promise<Record<string, number[]>> {
  const ort = loadOrt();
  const session = await createSession(source, { provider: 'cpu' }, 'test');
  try {
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(input), [1, IN]) });
    return Object.fromEntries(Object.entries(out).map(([k, v]) => [k, Array.from(v.data as Float32Array)]));
  } finally {
    await session.release();
  }
}

function expectClose(actual: number[] | undefined, wanted: number[], digits = 4): void {
  expect(actual).toHaveLength(wanted.length);
  wanted.forEach((w, i) => expect(actual![i]).toBeCloseTo(w, digits));
}

const tempDir = await makeTempDir('lora');
const dir = tempDir.path;
const modelFile = join(dir, 'model.onnx');
beforeAll(async () => {
  await writeFile(modelFile, encodeModel(attentionModel()));
});
afterAll(() => tempDir.remove());

describe('reading LoRA files', () => {
  it('reads kohya keys with alpha/rank scaling', () => {
    const adapter = parseLora(encodeSafetensors(kohyaTensors()), 'kohya.safetensors');
    expect(adapter.format).toBe('kohya');
    expect(adapter.layers).toHaveLength(4);
    const q = adapter.layers.find((l) => l.modulePath.endsWith('to_q'))!;
    expect(q).toMatchObject({ component: 'unet', naming: 'underscored', rank: 2, scale: 0.5 });
    expect(q.modulePath).toBe('down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q');
  });

  it('reads diffusers/PEFT keys, text encoder keys included', () => {
    const tensors = {
      ...(peftTensors() as Record<string, never>),
      'text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_A.weight': {
        dtype: 'F32',
        shape: [1, 2],
        values: [1, 1],
      },
      'text_encoder.text_model.encoder.layers.0.self_attn.q_proj.lora_B.weight': {
        dtype: 'F32',
        shape: [2, 1],
        values: [1, 1],
      },
    } as TensorInputs;
    const adapter = parseLora(encodeSafetensors(tensors));
    expect(adapter.format).toBe('peft');
    const te = adapter.layers.find((l) => l.component === 'text_encoder')!;
    expect(te).toMatchObject({
      modulePath: 'text_model.encoder.layers.0.self_attn.q_proj',
      naming: 'dotted',
      scale: 1,
    });
  });

  it('maps kohya text-encoder keys to the text encoder', () => {
    const adapter = parseLora(
      encodeSafetensors({
        'lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_down.weight': {
          dtype: 'F32',
          shape: [1, 2],
          values: [1, 1],
        },
        'lora_te_text_model_encoder_layers_0_self_attn_q_proj.lora_up.weight': {
          dtype: 'F32',
          shape: [2, 1],
          values: [1, 1],
        },
        'lora_te_text_model_encoder_layers_0_self_attn_q_proj.alpha': {
          dtype: 'F32',
          shape: [],
          values: [4],
        },
      }),
    );
    expect(adapter.layers[0]).toMatchObject({ component: 'text_encoder', scale: 4 });
  });

  it('refuses broken files with LORA_INVALID (permanent)', async () => {
    const bad = (tensors: TensorInputs) => () => parseLora(encodeSafetensors(tensors));
    expect(() => parseLora(new Uint8Array([1, 2, 3]))).toThrow(
      expect.objectContaining({ code: 'LORA_INVALID', retryable: false }),
    );
    expect(bad({ 'model.diffusion_model.weight': { dtype: 'F32', shape: [1], values: [1] } })).toThrow(
      /unrecognised tensor/,
    );
    expect(bad({ 'unet.a.lora_A.weight': { dtype: 'F32', shape: [1, 2], values: [1, 1] } })).toThrow(
      /lacks its up weight/,
    );
    expect(
      bad({
        'unet.a.lora_A.weight': { dtype: 'F32', shape: [2, 2], values: [1, 1, 1, 1] },
        'unet.a.lora_B.weight': { dtype: 'F32', shape: [2, 1], values: [1, 1] },
      }),
    ).toThrow(/low-rank pair/);
    expect(
      bad({
        'unet.a.lora_A.weight': { dtype: 'F32', shape: [1, 2], values: [1, Number.NaN] },
        'unet.a.lora_B.weight': { dtype: 'F32', shape: [2, 1], values: [1, 1] },
      }),
    ).toThrow(/NaN/);
    expect(() => parseLora(encodeSafetensors({}))).toThrow(/no LoRA tensors/);
    await expect(readLoraFile(join(tmpdir(), 'sl-missing.safetensors'))).rejects.toMatchObject({
      code: 'LORA_INVALID',
    });
  });
});

describe('merging LoRA into ONNX weights', () => {
  it('kohya and PEFT files give the same, hand-computed weights (MatMul, Gemm, anonymous MatMul, 1×1 Conv)', async () => {
    const before = await runAll({ model: modelFile, byteLength: 0 });
    expectClose(before.q, expected('to_q', 0));
    for (const [format, tensors] of [
      ['kohya', kohyaTensors()],
      ['peft', peftTensors()],
    ] as const) {
      const adapter = parseLora(encodeSafetensors(tensors), format);
      const merged = await mergeLoraIntoModel(modelFile, adapter.layers, 0.8);
      expect(merged.merged).toBe(4);
      const after = await runAll(merged);
      expectClose(after.q, expected('to_q', 0.8));
      expectClose(after.k, expected('to_k', 0.8));
      expectClose(after.v, expected('to_v', 0.8));
      expectClose(after.c, expected('proj_in', 0.8));
    }
  });

  it('strength 0 leaves the model unchanged and negative strength subtracts', async () => {
    const layers = parseLora(encodeSafetensors(peftTensors())).layers;
    expectClose((await runAll(await mergeLoraIntoModel(modelFile, layers, 0))).q, expected('to_q', 0));
    expectClose((await runAll(await mergeLoraIntoModel(modelFile, layers, -1))).q, expected('to_q', -1));
  });

  it('patches weights kept in external data (models over 2 GB) and hands them to ONNX Runtime in memory', async () => {
    const extDir = await makeTempDir('lora-ext');
    try {
      writeModelWithExternalData(attentionModel(), extDir.path, 'model.onnx', {
        dataFile: 'model.onnx_data',
        minBytes: 48,
      });
      const layers = parseLora(encodeSafetensors(kohyaTensors())).layers;
      const merged = await mergeLoraIntoModel(join(extDir.path, 'model.onnx'), layers, 1);
      expect(merged.externalData?.map((f) => f.path)).toEqual(['model.onnx_data']);
      const after = await runAll(merged);
      expectClose(after.q, expected('to_q', 1));
      expectClose(after.c, expected('proj_in', 1));
    } finally {
      await extDir.remove();
    }
  });

  it('refuses layers that match no weight, and deltas of the wrong shape', async () => {
    const other = parseLora(
      encodeSafetensors({
        'lora_unet_up_blocks_9_attentions_0_proj_out.lora_down.weight': {
          dtype: 'F32',
          shape: [1, 4],
          values: [1, 1, 1, 1],
        },
        'lora_unet_up_blocks_9_attentions_0_proj_out.lora_up.weight': {
          dtype: 'F32',
          shape: [3, 1],
          values: [1, 1, 1],
        },
      }),
    ).layers;
    await expect(mergeLoraIntoModel(modelFile, other, 1)).rejects.toMatchObject({
      code: 'LORA_INVALID',
      message: expect.stringMatching(/match no weight.*up_blocks_9/),
    });
    const wrongShape = parseLora(
      encodeSafetensors({
        [`unet.${BLOCK}.to_q.lora_A.weight`]: { dtype: 'F32', shape: [1, 8], values: new Array(8).fill(1) },
        [`unet.${BLOCK}.to_q.lora_B.weight`]: { dtype: 'F32', shape: [3, 1], values: [1, 1, 1] },
      }),
    ).layers;
    await expect(mergeLoraIntoModel(modelFile, wrongShape, 1)).rejects.toMatchObject({
      code: 'LORA_INVALID',
      message: expect.stringMatching(/does not fit/),
    });
  });
});

it('merges a 3×3 conv LoRA (LoCon: down [r, in, 3, 3], up [out, r, 1, 1])', () => {
  const down = Float32Array.from({ length: 9 }, (_, i) => i + 1);
  const layer: LoraLayer = {
    component: 'unet',
    modulePath: 'down_blocks.0.resnets.0.conv1',
    naming: 'dotted',
    down: { values: down, shape: [1, 1, 3, 3] },
    up: { values: Float32Array.from([1, 2]), shape: [2, 1, 1, 1] },
    rank: 1,
    scale: 0.5,
    key: 'unet:down_blocks.0.resnets.0.conv1',
  };
  const weights = new Float32Array(18).fill(1);
  applyDelta(
    weights,
    { initializer: { name: 'conv1.weight', dataType: DataType.FLOAT, dims: [2, 1, 3, 3] }, layout: 'out-in' },
    layer,
    2,
  );
  // strength 2 × scale 0.5 = 1: W[o] = 1 + up[o] · down
  expect(Array.from(weights)).toEqual([...down].map((v) => 1 + v).concat([...down].map((v) => 1 + 2 * v)));
});

it('finds the same weights in the ORT-fused UNet (packed Q/K/V, NHWC convs) as in the plain one', async () => {
  const { buildSyntheticModel } = await import('../src/synthetic');
  const { decodeModel, getInitializerFloats } = await import('../src/onnx');
  const { peftLora, randomLoraWeights, tinyLoraLayers } = await import('./pipeline-fixtures');
  const plainDir = buildSyntheticModel({ preset: 'tiny', dir: join(dir, 'plain'), seed: 3 }).dir;
  const fusedDir = buildSyntheticModel({ preset: 'tiny', dir: join(dir, 'fused'), seed: 3, fused: true }).dir;
  const weights = randomLoraWeights(
    8,
    (await tinyLoraLayers(plainDir)).filter((l) => l.component === 'unet'),
  );
  const layers = parseLora(peftLora(weights)).layers;
  const plain = await mergeLoraIntoModel(join(plainDir, 'unet', 'model.onnx'), layers, 1);
  const fused = await mergeLoraIntoModel(join(fusedDir, 'unet', 'model.onnx'), layers, 1);
  const plainModel = decodeModel(plain.model as Uint8Array);
  const fusedModel = decodeModel(fused.model as Uint8Array);
  for (const { spec } of weights) {
    const name = `${spec.module}.weight`;
    expect(getInitializerFloats(fusedModel, name)).toEqual(getInitializerFloats(plainModel, name));
  }
});
