// The fused form targets ONNX Runtime's CUDA contrib kernels, which have no CPU
// implementation: here we check its structure and weights; the GPU run is in bench/.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DataType, decodeModel, getInitializerFloats, type OnnxModel, type OnnxNode } from '../src/onnx';
import { buildSyntheticModel } from '../src/synthetic';

const tempDir = await makeTempDir('synthetic-fused');
const root = tempDir.path;
afterAll(() => tempDir.remove());

let plain: OnnxModel;
let fused: OnnxModel;
let fusedVae: OnnxModel;

beforeAll(() => {
  const a = buildSyntheticModel({ preset: 'tiny', dtype: 'fp16', seed: 3, dir: join(root, 'plain') });
  const b = buildSyntheticModel({
    preset: 'tiny',
    dtype: 'fp16',
    seed: 3,
    fused: true,
    dir: join(root, 'fused'),
  });
  plain = decodeModel(readFileSync(join(a.dir, 'unet/model.onnx')));
  fused = decodeModel(readFileSync(join(b.dir, 'unet/model.onnx')));
  fusedVae = decodeModel(readFileSync(join(b.dir, 'vae_decoder/model.onnx')));
});

const contrib = (m: OnnxModel) => m.graph.nodes.filter((n) => n.domain === 'com.microsoft');
const attrs = (n: OnnxNode) =>
  Object.fromEntries((n.attributes ?? []).map((a) => [a.name, { type: a.type, value: a.value }]));

describe('fused (ONNX Runtime CUDA contrib ops) form', () => {
  it('imports the com.microsoft opset and uses the fused kernels; the plain form uses none', () => {
    expect(fused.opsetImports).toContainEqual({ domain: 'com.microsoft', version: 1 });
    const types = new Set(contrib(fused).map((n) => n.opType));
    expect([...types].sort()).toEqual([
      'BiasSplitGelu',
      'GroupNorm',
      'MultiHeadAttention',
      'NhwcConv',
      'SkipGroupNorm',
      'SkipLayerNormalization',
    ]);
    expect(fused.graph.nodes.some((n) => n.opType === 'InstanceNormalization')).toBe(false);
    expect(contrib(plain)).toHaveLength(0);
    expect(plain.opsetImports.map((o) => o.domain)).toEqual(['']);
    expect(new Set(contrib(fusedVae).map((n) => n.opType))).toEqual(
      new Set(['GroupNorm', 'NhwcConv', 'MultiHeadAttention']),
    );
  });

  it('writes the attributes the CUDA kernels read, with their exact names and types', () => {
    const gn = contrib(fused).find((n) => n.opType === 'GroupNorm')!;
    expect(attrs(gn)).toEqual({
      activation: { type: 'int', value: 1 },
      channels_last: { type: 'int', value: 1 },
      epsilon: { type: 'float', value: expect.closeTo(1e-5, 9) },
      groups: { type: 'int', value: 8 },
    });
    const sgn = contrib(fused).find((n) => n.opType === 'SkipGroupNorm')!;
    expect(sgn.inputs).toHaveLength(4);
    expect(attrs(sgn).activation).toEqual({ type: 'int', value: 1 });
    const mha = contrib(fused).filter((n) => n.opType === 'MultiHeadAttention');
    expect(mha.every((n) => attrs(n).num_heads?.type === 'int' && attrs(n).num_heads?.value === 2)).toBe(
      true,
    );
    // Self-attention takes packed QKV alone; cross-attention takes query plus packed KV.
    expect(mha.some((n) => n.inputs.filter(Boolean).length === 1)).toBe(true);
    expect(mha.some((n) => n.inputs.filter(Boolean).length === 2)).toBe(true);
    const sln = contrib(fused).find((n) => n.opType === 'SkipLayerNormalization')!;
    expect(sln.inputs).toHaveLength(5);
    expect(sln.outputs[3]).not.toBe('');
    expect(attrs(sln).epsilon?.type).toBe('float');
    const conv = contrib(fused).find((n) => n.opType === 'NhwcConv')!;
    expect(attrs(conv)).toMatchObject({
      kernel_shape: { type: 'ints', value: [3, 3] },
      strides: { type: 'ints', value: [1, 1] },
    });
  });

  it('keeps GroupNorm gamma/beta fp32 (the CUDA kernel requires it) and the model I/O of the plain form', () => {
    const gn = contrib(fused).find((n) => n.opType === 'GroupNorm')!;
    const gamma = fused.graph.initializers.find((t) => t.name === gn.inputs[1]);
    expect(gamma?.dataType).toBe(DataType.FLOAT);
    expect(fused.graph.inputs).toEqual(plain.graph.inputs);
    expect(fused.graph.outputs).toEqual(plain.graph.outputs);
  });

  it('stores the same named weights as the plain form, so LoRA merging is identical', () => {
    const plainNames = plain.graph.initializers
      .filter((t) => !t.name.startsWith('const_'))
      .map((t) => t.name)
      .sort();
    const fusedNames = fused.graph.initializers
      .filter((t) => !t.name.startsWith('const_'))
      .map((t) => t.name)
      .sort();
    expect(fusedNames).toEqual(plainNames);
    for (const name of [
      'down_blocks.1.attentions.0.transformer_blocks.0.attn1.to_k.weight',
      'up_blocks.1.resnets.0.conv1.weight',
    ]) {
      expect(getInitializerFloats(fused, name)).toEqual(getInitializerFloats(plain, name));
    }
  });
});
