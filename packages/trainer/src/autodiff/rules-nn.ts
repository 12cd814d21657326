// Gradient rules of the layers: matrix products, convolution, softmax, normalisations, reductions.
import type { GradientRule, RuleContext } from './rule';
import { dy0, normalizeAxis, unbroadcast } from './rule';

const input = (c: RuleContext, i: number) => c.node.inputs[i]!;
const swapLast = (rank: number) => [...Array.from({ length: rank - 2 }, (_, i) => i), rank - 1, rank - 2];

function matMul(c: RuleContext): (string | undefined)[] {
  const g = dy0(c);
  const [a, b] = [input(c, 0), input(c, 1)];
  const [sa, sb, sy] = [c.shape(a), c.shape(b), c.shape(c.node.outputs[0]!)];
  if (sa.length < 2 || sb.length < 2) c.fail('1-D MatMul operands are not supported');
  const t = (v: string, rank: number) => c.e.op('Transpose', [v], { perm: swapLast(rank) });
  let da: string | undefined;
  let db: string | undefined;
  if (c.needs[0]) da = unbroadcast(c, c.e.op('MatMul', [g, t(b, sb.length)]), sy, sa);
  if (c.needs[1]) {
    if (sb.length === 2 && sa.length > 2) {
      // A weight shared by every row: one [k, rows] × [rows, n] product instead of a batched one.
      const rowsA = c.e.op('Reshape', [a, c.e.ints([-1, sa[sa.length - 1]!])]);
      const rowsG = c.e.op('Reshape', [g, c.e.ints([-1, sy[sy.length - 1]!])]);
      db = c.e.op('MatMul', [c.e.op('Transpose', [rowsA], { perm: [1, 0] }), rowsG]);
    } else {
      db = unbroadcast(c, c.e.op('MatMul', [t(a, sa.length), g]), sy, sb);
    }
  }
  return [da, db];
}

function gemm(c: RuleContext): (string | undefined)[] {
  const g = dy0(c);
  const alpha = c.floatAttr('alpha', 1);
  const beta = c.floatAttr('beta', 1);
  const transA = c.intAttr('transA', 0) === 1;
  const transB = c.intAttr('transB', 0) === 1;
  const [a, b] = [input(c, 0), input(c, 1)];
  // Y = α·op(A)·op(B) + β·C. dop(A) = α·G·op(B)ᵀ, dop(B) = α·op(A)ᵀ·G.
  const gemmOf = (x: string, y: string, tx: boolean, ty: boolean) =>
    c.e.op('Gemm', [x, y], { alpha: { float: alpha }, transA: tx ? 1 : 0, transB: ty ? 1 : 0 });
  const da = c.needs[0] ? (transA ? gemmOf(b, g, transB, true) : gemmOf(g, b, false, !transB)) : undefined;
  const db = c.needs[1] ? (transB ? gemmOf(g, a, true, transA) : gemmOf(a, g, !transA, false)) : undefined;
  let dc: string | undefined;
  if (c.needs[2]) {
    const scaled = c.e.op('Mul', [g, c.e.scalar(beta, c.type(g))]);
    dc = unbroadcast(c, scaled, c.shape(c.node.outputs[0]!), c.shape(input(c, 2)));
  }
  return [da, db, dc];
}

function conv(c: RuleContext): (string | undefined)[] {
  const g = dy0(c);
  const [x, w] = [input(c, 0), input(c, 1)];
  const [sx, sw, sy] = [c.shape(x), c.shape(w), c.shape(c.node.outputs[0]!)];
  const spatial = sx.length - 2;
  if (c.stringAttr('auto_pad', 'NOTSET') !== 'NOTSET') c.fail('auto_pad is not supported');
  const kernel = sw.slice(2);
  const strides = c.intsAttr('strides') ?? kernel.map(() => 1);
  const dilations = c.intsAttr('dilations') ?? kernel.map(() => 1);
  const pads = c.intsAttr('pads') ?? new Array<number>(2 * spatial).fill(0);
  const group = c.intAttr('group', 1);
  let dx: string | undefined;
  let dw: string | undefined;
  let db: string | undefined;
  if (c.needs[0]) {
    // The transposed convolution with the same weight; output_padding recovers sizes that the
    // forward stride rounded down.
    const outputPadding = kernel.map(
      (k, i) =>
        sx[2 + i]! -
        ((sy[2 + i]! - 1) * strides[i]! - pads[i]! - pads[spatial + i]! + dilations[i]! * (k - 1) + 1),
    );
    dx = c.e.op('ConvTranspose', [g, w], {
      strides,
      dilations,
      pads,
      group,
      kernel_shape: kernel,
      output_padding: { ints: outputPadding },
    });
  }
  if (c.needs[1]) {
    if (group !== 1) c.fail('weight gradients of grouped convolutions are not supported');
    // dW[o, i] = Σ_n x[n, i] ⋆ g[n, o]: a convolution with batch and channels swapped, where the
    // forward stride becomes the dilation; the far edge may overshoot the kernel and is cut off.
    const xt = c.e.op('Transpose', [x], { perm: [1, 0, ...kernel.map((_, i) => i + 2)] });
    const gt = c.e.op('Transpose', [g], { perm: [1, 0, ...kernel.map((_, i) => i + 2)] });
    const full = c.e.op('Conv', [xt, gt], { strides: dilations, dilations: strides, pads });
    const cut = c.e.op('Slice', [
      full,
      c.e.ints(kernel.map(() => 0)),
      c.e.ints(kernel),
      c.e.ints(kernel.map((_, i) => i + 2)),
    ]);
    dw = c.e.op('Transpose', [cut], { perm: [1, 0, ...kernel.map((_, i) => i + 2)] });
  }
  if (c.needs[2]) {
    db = c.e.op('ReduceSum', [g, c.e.ints([0, ...kernel.map((_, i) => i + 2)])], { keepdims: 0 });
  }
  return [dx, dw, db];
}

function softmax(c: RuleContext): (string | undefined)[] {
  const g = dy0(c);
  const y = c.node.outputs[0]!;
  const axis = normalizeAxis(c.intAttr('axis', -1), c.shape(y).length);
  const dot = c.e.op('ReduceSum', [c.e.op('Mul', [g, y]), c.e.ints([axis])], { keepdims: 1 });
  return [c.e.op('Mul', [y, c.e.op('Sub', [g, dot])])];
}

/**
 * x̂ = (x − μ)/σ over `axes`; y = x̂·γ + β (γ, β broadcast as `paramShape`).
 * dx = (ĝ − mean(ĝ) − x̂·mean(ĝ·x̂)) / σ with ĝ = g·γ.
 */
function normalization(
  c: RuleContext,
  axes: number[],
  paramShape: number[],
  eps: number,
): (string | undefined)[] {
  const g = dy0(c);
  const x = input(c, 0);
  const t = c.type(x);
  const e = c.e;
  const mean = (v: string) => e.op('ReduceMean', [v], { axes, keepdims: 1 });
  const centered = e.op('Sub', [x, mean(x)]);
  const variance = mean(e.op('Mul', [centered, centered]));
  const invStd = e.op('Reciprocal', [e.op('Sqrt', [e.op('Add', [variance, e.scalar(eps, t)])])]);
  const xhat = e.op('Mul', [centered, invStd]);
  const shapeY = c.shape(c.node.outputs[0]!);
  const paramAxes = shapeY.map((_, i) => i).filter((i) => !axesOfParam(paramShape, shapeY).includes(i));
  const sumToParam = (v: string, name: string) =>
    e.op('Reshape', [e.op('ReduceSum', [v, e.ints(paramAxes)], { keepdims: 0 }), e.ints(c.shape(name))]);
  let dx: string | undefined;
  if (c.needs[0]) {
    const gamma = e.op('Reshape', [input(c, 1), e.ints(paramShape)]);
    const gh = e.op('Mul', [g, gamma]);
    const inner = e.op('Sub', [
      e.op('Sub', [gh, mean(gh)]),
      e.op('Mul', [xhat, mean(e.op('Mul', [gh, xhat]))]),
    ]);
    dx = e.op('Mul', [inner, invStd]);
  }
  const dScale = c.needs[1] ? sumToParam(e.op('Mul', [g, xhat]), input(c, 1)) : undefined;
  const dBias = c.needs[2] ? sumToParam(g, input(c, 2)) : undefined;
  return [dx, dScale, dBias];
}

/** The axes of `shape` along which a broadcast parameter of `paramShape` varies. */
function axesOfParam(paramShape: number[], shape: readonly number[]): number[] {
  const lead = shape.length - paramShape.length;
  return paramShape.map((d, i) => (d === 1 ? -1 : i + lead)).filter((a) => a >= 0);
}

function layerNorm(c: RuleContext): (string | undefined)[] {
  if (c.node.outputs.length > 1 && c.node.outputs.slice(1).some((o) => o !== ''))
    c.fail('Mean/InvStdDev outputs are not supported');
  const shape = c.shape(input(c, 0));
  const axis = normalizeAxis(c.intAttr('axis', -1), shape.length);
  const axes = shape.map((_, i) => i).filter((i) => i >= axis);
  const paramShape = shape.map((d, i) => (i >= axis ? d : 1));
  return normalization(c, axes, paramShape, c.floatAttr('epsilon', 1e-5));
}

function instanceNorm(c: RuleContext): (string | undefined)[] {
  const shape = c.shape(input(c, 0));
  const axes = shape.map((_, i) => i).filter((i) => i >= 2);
  const paramShape = shape.map((d, i) => (i === 1 ? d : 1));
  return normalization(c, axes, paramShape, c.floatAttr('epsilon', 1e-5));
}

function reduce(mean: boolean): GradientRule {
  return (c) => {
    const shape = c.shape(input(c, 0));
    const rank = shape.length;
    const listed = mean ? c.intsAttr('axes') : c.node.inputs[1] ? c.constInts(input(c, 1)) : undefined;
    const axes = (listed ?? shape.map((_, i) => i)).map((a) => normalizeAxis(a, rank));
    const kept = shape.map((d, i) => (axes.includes(i) ? 1 : d));
    const type = c.type(dy0(c));
    let g = c.e.op('Reshape', [dy0(c), c.e.ints(kept)]);
    if (mean) {
      const count = axes.reduce((n, a) => n * shape[a]!, 1);
      g = c.e.op('Div', [g, c.e.scalar(count, type)]);
    }
    return [c.e.op('Expand', [g, c.e.ints(shape)]), ...c.node.inputs.slice(1).map(() => undefined)];
  };
}

export const nnRules: Record<string, GradientRule> = {
  MatMul: matMul,
  Gemm: gemm,
  Conv: conv,
  Softmax: softmax,
  LayerNormalization: layerNorm,
  InstanceNormalization: instanceNorm,
  ReduceMean: reduce(true),
  ReduceSum: reduce(false),
};
