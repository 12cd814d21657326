// Gradient rules of ops that move values without changing them: reshapes, transposes,
// concatenation and slicing, broadcasting, nearest-neighbour upsampling.
import type { GradientRule, RuleContext } from './rule';
import { dy0, normalizeAxis, unbroadcast } from './rule';

const inShape = (c: RuleContext, i = 0) => c.shape(c.node.inputs[i]!);

/** Ops whose gradient is the output gradient reshaped back to the input's shape. */
const reshapeBack: GradientRule = (c) => [
  c.e.op('Reshape', [dy0(c), c.e.ints(inShape(c))]),
  ...c.node.inputs.slice(1).map(() => undefined),
];

function zeros(c: RuleContext, shape: readonly number[], type: number): string {
  return c.e.op('Expand', [c.e.scalar(0, type), c.e.ints(shape)]);
}

export const shapeRules: Record<string, GradientRule> = {
  Reshape: reshapeBack,
  Flatten: reshapeBack,
  Squeeze: reshapeBack,
  Unsqueeze: reshapeBack,
  Expand: (c) => [unbroadcast(c, dy0(c), c.shape(c.node.outputs[0]!), inShape(c)), undefined],
  Transpose: (c) => {
    const rank = inShape(c).length;
    const perm = c.intsAttr('perm') ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
    const inverse = new Array<number>(rank);
    perm.forEach((p, i) => (inverse[p] = i));
    return [c.e.op('Transpose', [dy0(c)], { perm: inverse })];
  },
  Concat: (c) => {
    const g = dy0(c);
    const axis = normalizeAxis(c.intAttr('axis', 0), inShape(c).length);
    let offset = 0;
    return c.node.inputs.map((input, i) => {
      const size = c.shape(input)[axis]!;
      const start = offset;
      offset += size;
      if (!c.needs[i]) return undefined;
      return c.e.op('Slice', [g, c.e.ints([start]), c.e.ints([start + size]), c.e.ints([axis])]);
    });
  },
  Split: (c) => {
    const axis = normalizeAxis(c.intAttr('axis', 0), inShape(c).length);
    const type = c.type(c.node.inputs[0]!);
    const parts = c.node.outputs.map((out, i) => c.dy[i] ?? zeros(c, c.shape(out), type));
    return [c.e.op('Concat', parts, { axis }), undefined];
  },
  Slice: (c) => {
    const shape = inShape(c);
    const rank = shape.length;
    const starts = c.constInts(c.node.inputs[1]!);
    const ends = c.constInts(c.node.inputs[2]!);
    const axes = c.node.inputs[3] ? c.constInts(c.node.inputs[3]) : starts.map((_, i) => i);
    const steps = c.node.inputs[4] ? c.constInts(c.node.inputs[4]) : starts.map(() => 1);
    if (steps.some((s) => s !== 1)) c.fail('only step 1 slices are supported');
    const pads = new Array<number>(2 * rank).fill(0);
    axes.forEach((a, i) => {
      const axis = normalizeAxis(a, rank);
      const dim = shape[axis]!;
      const clamp = (v: number) => Math.min(dim, Math.max(0, v < 0 ? v + dim : v));
      pads[axis] = clamp(starts[i]!);
      pads[rank + axis] = dim - clamp(ends[i]!);
    });
    return [c.e.op('Pad', [dy0(c), c.e.ints(pads)]), ...c.node.inputs.slice(1).map(() => undefined)];
  },
  // Nearest upsampling by integer factors copies each input element to a block: sum the block.
  Resize: (c) => {
    if (c.stringAttr('mode', 'nearest') !== 'nearest') c.fail('only nearest Resize is supported');
    const transform = c.stringAttr('coordinate_transformation_mode', 'half_pixel');
    if (transform !== 'asymmetric' || c.stringAttr('nearest_mode', 'round_prefer_floor') !== 'floor')
      c.fail('only asymmetric/floor nearest Resize (torch interpolate) is supported');
    const from = inShape(c);
    const to = c.shape(c.node.outputs[0]!);
    const factors = to.map((d, i) => d / from[i]!);
    if (factors.some((f) => !Number.isInteger(f))) c.fail('only integer scale factors are supported');
    const blocks = from.flatMap((d, i) => [d, factors[i]!]);
    const axes = from.map((_, i) => 2 * i + 1);
    const split = c.e.op('Reshape', [dy0(c), c.e.ints(blocks)]);
    return [
      c.e.op('ReduceSum', [split, c.e.ints(axes)], { keepdims: 0 }),
      ...c.node.inputs.slice(1).map(() => undefined),
    ];
  },
};
