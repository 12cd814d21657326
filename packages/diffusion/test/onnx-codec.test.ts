import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { makeTempDir } from '@stylelicense/test-kit';
import * as ort from 'onnxruntime-node';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DataType,
  decodeModel,
  encodeModel,
  float32ToFloat16Bytes,
  float32ToHalfBits,
  getInitializerFloats,
  GraphBuilder,
  loadExternalData,
  OnnxFormatError,
  setInitializerFloats,
  encodeModelWithExternalData,
  float16BytesToFloat32,
  fromHalfBits,
  toHalfBits,
  writeModelWithExternalData,
} from '../src/onnx';
import { SeededNoise } from '../src/schedulers';

const tempDir = await makeTempDir('onnx-codec');
const dir = tempDir.path;
afterAll(() => tempDir.remove());

/** y = x @ W + b, then GELU-free Relu; W fp32 [3,2], plus an fp16 weight used via Cast. */
function smallModel() {
  const g = new GraphBuilder('codec');
  const x = g.input('x', DataType.FLOAT, ['batch', 3]);
  const w = g.initializer(
    'proj.weight',
    DataType.FLOAT,
    [3, 2],
    new Uint8Array(Float32Array.from([1, 2, 3, 4, 5, 6]).buffer),
  );
  const b = g.initializer(
    'proj.bias',
    DataType.FLOAT16,
    [2],
    float32ToFloat16Bytes(Float32Array.from([0.5, -1])),
  );
  const mm = g.node('MatMul', [x, w]);
  const bias = g.node('Cast', [b], { to: DataType.FLOAT });
  const y = g.node('Add', [mm, bias]);
  const s = g.node('Slice', [y, g.int64s([0]), g.int64s([2 ** 63]), g.int64s([1])]);
  const lr = g.node('LeakyRelu', [s], { alpha: { float: 1 } });
  g.output(lr, 'y', DataType.FLOAT, ['batch', 2]);
  return g.toModel([
    { domain: '', version: 17 },
    { domain: 'com.microsoft', version: 1 },
  ]);
}

async function run(bytes: Uint8Array, x: number[]): Promise<number[]> {
  const session = await ort.InferenceSession.create(bytes);
  const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, 3]) });
  await session.release();
  return Array.from(out.y!.data as Float32Array);
}

describe('ONNX model codec', () => {
  it('encodes a model onnxruntime runs, and decode → encode is byte-identical', async () => {
    const bytes = encodeModel(smallModel());
    expect(await run(bytes, [1, 1, 1])).toEqual([9 + 0.5, 12 - 1]);
    const decoded = decodeModel(bytes);
    expect(decoded.opsetImports).toEqual([
      { domain: '', version: 17 },
      { domain: 'com.microsoft', version: 1 },
    ]);
    expect(decoded.graph.inputs[0]).toMatchObject({
      name: 'x',
      elemType: DataType.FLOAT,
      shape: ['batch', 3],
    });
    const leaky = decoded.graph.nodes.find((n) => n.opType === 'LeakyRelu');
    expect(leaky?.attributes).toEqual([{ name: 'alpha', type: 'float', value: 1 }]);
    expect(Buffer.from(encodeModel(decoded)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('reads and replaces fp32 and fp16 initializer data by name', async () => {
    const model = decodeModel(encodeModel(smallModel()));
    expect(Array.from(getInitializerFloats(model, 'proj.weight'))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(getInitializerFloats(model, 'proj.bias'))).toEqual([0.5, -1]);
    setInitializerFloats(model, 'proj.weight', Float32Array.from([0, 0, 0, 0, 1, 1]));
    setInitializerFloats(model, 'proj.bias', Float32Array.from([0.25, 2]));
    const again = decodeModel(encodeModel(model));
    expect(Array.from(getInitializerFloats(again, 'proj.bias'))).toEqual([0.25, 2]);
    expect(await run(encodeModel(again), [1, 2, 3])).toEqual([3.25, 5]);
    expect(() => setInitializerFloats(model, 'proj.weight', new Float32Array(5))).toThrow(OnnxFormatError);
    expect(() => getInitializerFloats(model, 'nope')).toThrow(/Initializer not found/);
  });

  it('writes and reads back external data files', async () => {
    const model = smallModel();
    writeModelWithExternalData(model, dir, 'ext.onnx', { dataFile: 'ext.onnx_data', minBytes: 16 });
    const session = await ort.InferenceSession.create(join(dir, 'ext.onnx'));
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 1, 1]), [1, 3]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([9.5, 11]);
    await session.release();
    const decoded = decodeModel(readFileSync(join(dir, 'ext.onnx')));
    const w = decoded.graph.initializers.find((t) => t.name === 'proj.weight');
    expect(w?.dataLocation).toBe('external');
    expect(() => getInitializerFloats(decoded, 'proj.weight')).toThrow(/external/);
    loadExternalData(decoded, dir);
    expect(Array.from(getInitializerFloats(decoded, 'proj.weight'))).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it('encodes external data in memory for an onnxruntime session (models over 2 GB)', async () => {
    const { model, externalData } = encodeModelWithExternalData(smallModel(), {
      dataFile: 'weights.bin',
      minBytes: 16,
    });
    expect(externalData[0]!.path).toBe('weights.bin');
    expect(decodeModel(model).graph.initializers.find((t) => t.name === 'proj.weight')?.dataLocation).toBe(
      'external',
    );
    const session = await ort.InferenceSession.create(model, { externalData });
    const out = await session.run({ x: new ort.Tensor('float32', Float32Array.from([1, 1, 1]), [1, 3]) });
    expect(Array.from(out.y!.data as Float32Array)).toEqual([9.5, 11]);
    await session.release();
  });

  it('round-trips every attribute kind, int64 sentinels and fields it does not model', () => {
    const model = smallModel();
    model.graph.nodes.push({
      opType: 'Constant',
      inputs: [],
      outputs: ['c'],
      attributes: [
        {
          name: 'value',
          type: 'tensor',
          value: { name: '', dataType: DataType.INT64, dims: [2], int64Data: [-(2n ** 63n), 2n ** 63n - 1n] },
        },
      ],
    });
    model.graph.nodes.push({
      opType: 'Custom',
      domain: 'com.example',
      inputs: ['c'],
      outputs: ['d'],
      attributes: [
        { name: 'fs', type: 'floats', value: [0.5, -2] },
        { name: 'is', type: 'ints', value: [-1, 0, 7] },
        { name: 'ss', type: 'strings', value: ['a', 'bé'] },
        { name: 's', type: 'string', value: 'NOTSET' },
      ],
    });
    // Field 15 (sparse_initializer) is not modelled: it must survive byte for byte.
    model.graph.unknownFields = [Uint8Array.from([0x7a, 0x02, 0x08, 0x01])];
    const bytes = encodeModel(model);
    const decoded = decodeModel(bytes);
    expect(decoded.graph.nodes.at(-1)).toMatchObject({
      domain: 'com.example',
      attributes: model.graph.nodes.at(-1)!.attributes,
    });
    const constant = decoded.graph.nodes.at(-2)!.attributes![0]!;
    expect(constant.type === 'tensor' && constant.value.int64Data).toEqual([-(2n ** 63n), 2n ** 63n - 1n]);
    expect(decoded.graph.unknownFields).toEqual([Uint8Array.from([0x7a, 0x02, 0x08, 0x01])]);
    expect(Buffer.from(encodeModel(decoded)).equals(Buffer.from(bytes))).toBe(true);
  });

  it('reports a truncated model as MODEL_INVALID, never as a crash', () => {
    const bytes = encodeModel(smallModel());
    for (const cut of [3, 40, Math.floor(bytes.length / 2), bytes.length - 2]) {
      expect(() => decodeModel(bytes.subarray(0, cut)), `cut at ${cut}`).toThrow(OnnxFormatError);
    }
    try {
      decodeModel(bytes.subarray(0, 40));
    } catch (error) {
      expect((error as OnnxFormatError).code).toBe('MODEL_INVALID');
    }
  });

  it('converts float32 ↔ float16 with IEEE round-to-nearest-even', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [65520, 0x7c00], // rounds up to infinity
      [2 ** -24, 0x0001], // smallest subnormal
      [2 ** -25, 0x0000], // tie → even (zero)
      [1 + 2 ** -11, 0x3c00], // tie → even
      [1 + 3 * 2 ** -11, 0x3c02],
      [Infinity, 0x7c00],
    ];
    for (const [value, bits] of cases) expect(toHalfBits(value), String(value)).toBe(bits);
    expect(toHalfBits(NaN) & 0x7c00).toBe(0x7c00);
    for (let h = 0; h < 0x10000; h++) {
      if ((h & 0x7c00) === 0x7c00 && (h & 0x3ff) !== 0) continue; // NaN payloads
      if (toHalfBits(fromHalfBits(h)) !== h) throw new Error(`half ${h} does not round-trip`);
    }
    const unaligned = new Uint8Array(5).subarray(1);
    unaligned.set([0x00, 0x3c, 0x00, 0xc0]);
    expect(Array.from(float16BytesToFloat32(unaligned))).toEqual([1, -2]);
  });

  it('converts whole arrays to half bits exactly as toHalfBits does, into a reused buffer', () => {
    const edges = [
      0,
      -0,
      1,
      -2,
      0.1,
      65504,
      -65504,
      65519.99,
      65520,
      1e6,
      -1e30,
      Infinity,
      -Infinity,
      NaN,
      2 ** -14,
      2 ** -14 * (1 - 2 ** -11),
      2 ** -15,
      2 ** -24,
      2 ** -25,
      2 ** -25 * 1.5,
      2 ** -26,
      2 ** -149,
      -(2 ** -149),
      1 + 2 ** -11,
      1 + 3 * 2 ** -11,
      1 + 2 ** -11 + 2 ** -23,
      3 * 2 ** -25,
    ];
    const edgeBits = [
      0x7fc00000, 0xffc00001, 0x7f800001, 0xff800001, 0x387fffff, 0x38800000, 0x477fefff, 0x477ff000,
    ];
    const values = new Float32Array(edges.length + edgeBits.length);
    values.set(edges);
    new Uint32Array(values.buffer).set(edgeBits, edges.length);
    const expectSame = (input: Float32Array, out: Uint16Array) => {
      for (let i = 0; i < input.length; i++) {
        const expected = toHalfBits(input[i]!);
        if (out[i] !== expected) {
          const bits = new Uint32Array(input.buffer, input.byteOffset, input.length)[i]!;
          throw new Error(
            `float bits 0x${bits.toString(16)}: got 0x${out[i]!.toString(16)}, expected 0x${expected.toString(16)}`,
          );
        }
      }
    };
    expectSame(values, float32ToHalfBits(values));

    // ~1e6 random bit patterns: every exponent, sign and mantissa alike, read through an offset view.
    const noise = new SeededNoise(3);
    const random = new Float32Array(1_000_003);
    const randomBits = new Uint32Array(random.buffer);
    for (let i = 0; i < randomBits.length; i++) randomBits[i] = noise.nextUint32();
    const view = random.subarray(3);
    const reused = new Uint16Array(view.length);
    expect(float32ToHalfBits(view, reused)).toBe(reused);
    expectSame(view, reused);
    // Values of every half exponent (and the rounding ties at each): mantissas with few low bits set.
    for (let i = 0; i < randomBits.length; i++) {
      const exponent = 96 + (i % 52); // 2^-31 … 2^20: underflow, subnormal, normal and overflow
      randomBits[i] =
        ((randomBits[i]! & 0x80000000) | (exponent << 23) | (randomBits[i]! & 0x7fe000) | ((i & 3) << 11)) >>>
        0;
    }
    expectSame(view, float32ToHalfBits(view, reused));
    expect(() => float32ToHalfBits(values, new Uint16Array(1))).toThrow(RangeError);
    expect(new Uint16Array(float32ToFloat16Bytes(Float32Array.from([1, -2])).buffer)).toEqual(
      Uint16Array.from([0x3c00, 0xc000]),
    );
  });

  it('rejects bytes that are not an ONNX model', () => {
    expect(() => decodeModel(new TextEncoder().encode('hello world, not a model'))).toThrow(OnnxFormatError);
    expect(() => decodeModel(new Uint8Array(0))).toThrow(OnnxFormatError);
  });
});
