// Every gradient rule against central finite differences. float64 where ONNX Runtime's CPU
// provider has float64 kernels; Conv, InstanceNormalization, Resize and Erf have only float32
// kernels there, so those are checked in float32 with a wider tolerance (see gradcheck.ts).
import { DataType, type GraphBuilder } from '@stylelicense/diffusion';
import { describe, expect, it } from 'vitest';
import { gradCheck, type CheckInput } from './gradcheck';

type Build = (g: GraphBuilder, x: string[], elem: number) => string;

interface Case {
  readonly name: string;
  readonly dtype?: 'float64' | 'float32';
  readonly inputs: CheckInput[];
  readonly build: Build;
}

const positive = (n: number) => Array.from({ length: n }, (_, i) => 0.5 + ((i * 7) % 11) / 10);
const weight = (g: GraphBuilder, elem: number, dims: number[]) => {
  const n = dims.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: n }, (_, i) => Math.sin(i * 1.3) * 0.5);
  const bytes = elem === DataType.DOUBLE ? new Float64Array(values).buffer : new Float32Array(values).buffer;
  return g.initializer(g.fresh('w'), elem, dims, new Uint8Array(bytes));
};

const cases: Case[] = [
  {
    name: 'Add (broadcast)',
    inputs: [
      { name: 'a', dims: [2, 3, 4] },
      { name: 'b', dims: [3, 1] },
    ],
    build: (g, [a, b]) => g.node('Add', [a!, b!]),
  },
  {
    name: 'Sub (broadcast)',
    inputs: [
      { name: 'a', dims: [4] },
      { name: 'b', dims: [2, 4] },
    ],
    build: (g, [a, b]) => g.node('Sub', [a!, b!]),
  },
  {
    name: 'Mul (broadcast)',
    inputs: [
      { name: 'a', dims: [2, 3, 4] },
      { name: 'b', dims: [1, 3, 1] },
    ],
    build: (g, [a, b]) => g.node('Mul', [a!, b!]),
  },
  {
    name: 'Div',
    inputs: [
      { name: 'a', dims: [2, 3] },
      { name: 'b', dims: [2, 3], values: positive(6) },
    ],
    build: (g, [a, b]) => g.node('Div', [a!, b!]),
  },
  {
    name: 'Sum',
    inputs: [
      { name: 'a', dims: [2, 3] },
      { name: 'b', dims: [3] },
      { name: 'c', dims: [2, 1] },
    ],
    build: (g, x) => g.node('Sum', x),
  },
  { name: 'Neg', inputs: [{ name: 'a', dims: [5] }], build: (g, [a]) => g.node('Neg', [a!]) },
  { name: 'Identity', inputs: [{ name: 'a', dims: [5] }], build: (g, [a]) => g.node('Identity', [a!]) },
  { name: 'Sigmoid', inputs: [{ name: 'a', dims: [2, 5] }], build: (g, [a]) => g.node('Sigmoid', [a!]) },
  { name: 'Tanh', inputs: [{ name: 'a', dims: [2, 5] }], build: (g, [a]) => g.node('Tanh', [a!]) },
  { name: 'Relu', inputs: [{ name: 'a', dims: [2, 5] }], build: (g, [a]) => g.node('Relu', [a!]) },
  { name: 'Exp', inputs: [{ name: 'a', dims: [2, 5] }], build: (g, [a]) => g.node('Exp', [a!]) },
  {
    name: 'Log',
    inputs: [{ name: 'a', dims: [6], values: positive(6) }],
    build: (g, [a]) => g.node('Log', [a!]),
  },
  {
    name: 'Sqrt',
    inputs: [{ name: 'a', dims: [6], values: positive(6) }],
    build: (g, [a]) => g.node('Sqrt', [a!]),
  },
  { name: 'Sin', inputs: [{ name: 'a', dims: [6] }], build: (g, [a]) => g.node('Sin', [a!]) },
  { name: 'Cos', inputs: [{ name: 'a', dims: [6] }], build: (g, [a]) => g.node('Cos', [a!]) },
  {
    name: 'Pow (constant exponent)',
    inputs: [{ name: 'a', dims: [6], values: positive(6) }],
    build: (g, [a], e) =>
      g.node('Pow', [a!, g.constant(e === DataType.DOUBLE ? DataType.FLOAT : e, [], [2.5])]),
  },
  {
    name: 'Where',
    inputs: [
      { name: 'a', dims: [2, 3] },
      { name: 'b', dims: [3] },
    ],
    build: (g, [a, b]) => g.node('Where', [g.node('Greater', [a!, g.node('Identity', [b!])]), a!, b!]),
  },
  {
    name: 'Cast float32 → float64',
    dtype: 'float32',
    inputs: [{ name: 'a', dims: [4] }],
    build: (g, [a]) => g.node('Cast', [a!], { to: DataType.DOUBLE }),
  },
  {
    name: 'Erf',
    dtype: 'float32',
    inputs: [{ name: 'a', dims: [2, 5] }],
    build: (g, [a]) => g.node('Erf', [a!]),
  },
  {
    name: 'Reshape',
    inputs: [{ name: 'a', dims: [2, 6] }],
    build: (g, [a]) =>
      g.node('Mul', [g.node('Reshape', [a!, g.int64s([3, 4])]), weight(g, DataType.DOUBLE, [4])]),
  },
  {
    name: 'Flatten',
    inputs: [{ name: 'a', dims: [2, 3, 2] }],
    build: (g, [a]) => g.node('Flatten', [a!], { axis: 1 }),
  },
  {
    name: 'Unsqueeze + Squeeze',
    inputs: [{ name: 'a', dims: [3, 2] }],
    build: (g, [a]) => g.node('Squeeze', [g.node('Unsqueeze', [a!, g.int64s([0, 2])]), g.int64s([0])]),
  },
  {
    name: 'Expand',
    inputs: [{ name: 'a', dims: [3, 1] }],
    build: (g, [a]) => g.node('Expand', [a!, g.int64s([2, 3, 4])]),
  },
  {
    name: 'Transpose',
    inputs: [{ name: 'a', dims: [2, 3, 4] }],
    build: (g, [a]) => g.node('Transpose', [a!], { perm: [2, 0, 1] }),
  },
  {
    name: 'Concat',
    inputs: [
      { name: 'a', dims: [2, 3] },
      { name: 'b', dims: [2, 2] },
    ],
    build: (g, [a, b]) => g.node('Concat', [a!, b!], { axis: 1 }),
  },
  {
    name: 'Split',
    inputs: [{ name: 'a', dims: [2, 5] }],
    build: (g, [a]) => g.nodeMulti('Split', [a!, g.int64s([2, 3])], { axis: 1 }, { outputs: 2 })[1]!,
  },
  {
    name: 'Slice',
    inputs: [{ name: 'a', dims: [4, 6] }],
    build: (g, [a]) => g.node('Slice', [a!, g.int64s([1, -4]), g.int64s([3, 1e10]), g.int64s([0, 1])]),
  },
  {
    name: 'Resize (nearest 2×)',
    dtype: 'float32',
    inputs: [{ name: 'a', dims: [1, 2, 3, 3] }],
    build: (g, [a]) =>
      g.node('Resize', [a!, '', g.constant(DataType.FLOAT, [4], [1, 1, 2, 2])], {
        mode: 'nearest',
        coordinate_transformation_mode: 'asymmetric',
        nearest_mode: 'floor',
      }),
  },
  {
    name: 'MatMul 3-D × 2-D',
    inputs: [
      { name: 'a', dims: [2, 3, 4] },
      { name: 'b', dims: [4, 5] },
    ],
    build: (g, [a, b]) => g.node('MatMul', [a!, b!]),
  },
  {
    name: 'MatMul batched 4-D',
    inputs: [
      { name: 'a', dims: [2, 2, 3, 4] },
      { name: 'b', dims: [2, 2, 4, 3] },
    ],
    build: (g, [a, b]) => g.node('MatMul', [a!, b!]),
  },
  {
    name: 'MatMul broadcast batch',
    inputs: [
      { name: 'a', dims: [2, 3, 4] },
      { name: 'b', dims: [1, 4, 2] },
    ],
    build: (g, [a, b]) => g.node('MatMul', [a!, b!]),
  },
  {
    name: 'Gemm (transA, transB, alpha, beta, C)',
    inputs: [
      { name: 'a', dims: [4, 3] },
      { name: 'b', dims: [5, 4] },
      { name: 'c', dims: [5] },
    ],
    build: (g, [a, b, c]) =>
      g.node('Gemm', [a!, b!, c!], { transA: 1, transB: 1, alpha: 0.7, beta: { float: 2 } }),
  },
  {
    name: 'Gemm (plain)',
    inputs: [
      { name: 'a', dims: [3, 4] },
      { name: 'b', dims: [4, 2] },
    ],
    build: (g, [a, b]) => g.node('Gemm', [a!, b!]),
  },
  {
    name: 'Conv 3×3 pad 1 (x, w, b)',
    dtype: 'float32',
    inputs: [
      { name: 'x', dims: [2, 3, 5, 5] },
      { name: 'w', dims: [4, 3, 3, 3] },
      { name: 'b', dims: [4] },
    ],
    build: (g, [x, w, b]) => g.node('Conv', [x!, w!, b!], { kernel_shape: [3, 3], pads: [1, 1, 1, 1] }),
  },
  {
    name: 'Conv 3×3 stride 2 (even input)',
    dtype: 'float32',
    inputs: [
      { name: 'x', dims: [1, 2, 6, 6] },
      { name: 'w', dims: [3, 2, 3, 3] },
    ],
    build: (g, [x, w]) =>
      g.node('Conv', [x!, w!], { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2] }),
  },
  {
    name: 'Conv 1×1',
    dtype: 'float32',
    inputs: [
      { name: 'x', dims: [1, 3, 4, 4] },
      { name: 'w', dims: [2, 3, 1, 1] },
    ],
    build: (g, [x, w]) => g.node('Conv', [x!, w!], { kernel_shape: [1, 1] }),
  },
  {
    name: 'Softmax',
    inputs: [{ name: 'a', dims: [2, 3, 5] }],
    build: (g, [a]) => g.node('Softmax', [a!], { axis: -1 }),
  },
  {
    name: 'LayerNormalization (x, scale, bias)',
    inputs: [
      { name: 'x', dims: [2, 3, 6] },
      { name: 's', dims: [6] },
      { name: 'b', dims: [6] },
    ],
    build: (g, [x, s, b]) =>
      g.node('LayerNormalization', [x!, s!, b!], { axis: -1, epsilon: { float: 1e-5 } }),
  },
  {
    name: 'InstanceNormalization (x, scale, bias)',
    dtype: 'float32',
    inputs: [
      { name: 'x', dims: [2, 3, 4, 4] },
      { name: 's', dims: [3] },
      { name: 'b', dims: [3] },
    ],
    build: (g, [x, s, b]) => g.node('InstanceNormalization', [x!, s!, b!], { epsilon: { float: 1e-5 } }),
  },
  {
    name: 'ReduceMean',
    inputs: [{ name: 'a', dims: [2, 3, 4] }],
    build: (g, [a]) => g.node('ReduceMean', [a!], { axes: [1, 2], keepdims: 0 }),
  },
  {
    name: 'ReduceSum',
    inputs: [{ name: 'a', dims: [2, 3, 4] }],
    build: (g, [a]) => g.node('ReduceSum', [a!, g.int64s([0])], { keepdims: 1 }),
  },
];

describe('gradient rules agree with finite differences', () => {
  it.each(cases)('$name', async ({ dtype, inputs, build }) => {
    const result = await gradCheck({ dtype: dtype ?? 'float64', inputs, build });
    expect(result.checked).toBeGreaterThan(0);
    expect(result.largest).toBeGreaterThan(1e-3);
    expect(result.worst).toBeLessThanOrEqual(1);
  });
});
