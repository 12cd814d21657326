// Gradient rules of elementwise arithmetic, activations and type casts.
import type { GradientRule, RuleContext } from './rule';
import { dy0, unbroadcast } from './rule';

const y0 = (c: RuleContext) => c.node.outputs[0]!;
const x = (c: RuleContext, i: number) => c.node.inputs[i]!;
const one = (c: RuleContext) => c.e.scalar(1, c.type(x(c, 0)));

/** Each input's share of an elementwise op's gradient, summed back to its broadcast shape. */
function toInputs(c: RuleContext, grads: ((g: string) => string)[]): (string | undefined)[] {
  const g = dy0(c);
  const outShape = c.shape(y0(c));
  return grads.map((f, i) => (c.needs[i] ? unbroadcast(c, f(g), outShape, c.shape(x(c, i))) : undefined));
}

function unary(local: (c: RuleContext, g: string) => string): GradientRule {
  return (c) => [local(c, dy0(c))];
}

export const elementwiseRules: Record<string, GradientRule> = {
  Add: (c) => toInputs(c, [(g) => g, (g) => g]),
  Sum: (c) =>
    toInputs(
      c,
      c.node.inputs.map(() => (g: string) => g),
    ),
  Sub: (c) => toInputs(c, [(g) => g, (g) => c.e.op('Neg', [g])]),
  Mul: (c) => toInputs(c, [(g) => c.e.op('Mul', [g, x(c, 1)]), (g) => c.e.op('Mul', [g, x(c, 0)])]),
  // d(a/b)/db = −(a/b)/b
  Div: (c) =>
    toInputs(c, [
      (g) => c.e.op('Div', [g, x(c, 1)]),
      (g) => c.e.op('Neg', [c.e.op('Div', [c.e.op('Mul', [g, y0(c)]), x(c, 1)])]),
    ]),
  Where: (c) => {
    const g = dy0(c);
    const zero = c.e.scalar(0, c.type(g));
    const outShape = c.shape(y0(c));
    const pick = (i: number, a: string, b: string) =>
      c.needs[i] ? unbroadcast(c, c.e.op('Where', [x(c, 0), a, b]), outShape, c.shape(x(c, i))) : undefined;
    return [undefined, pick(1, g, zero), pick(2, zero, g)];
  },
  Neg: unary((c, g) => c.e.op('Neg', [g])),
  Identity: unary((_c, g) => g),
  Cast: unary((c, g) => c.e.op('Cast', [g], { to: c.type(x(c, 0)) })),
  Sigmoid: unary((c, g) => c.e.op('Mul', [g, c.e.op('Mul', [y0(c), c.e.op('Sub', [one(c), y0(c)])])])),
  Tanh: unary((c, g) => c.e.op('Mul', [g, c.e.op('Sub', [one(c), c.e.op('Mul', [y0(c), y0(c)])])])),
  Relu: unary((c, g) => {
    const positive = c.e.op('Greater', [x(c, 0), c.e.scalar(0, c.type(g))]);
    return c.e.op('Mul', [g, c.e.op('Cast', [positive], { to: c.type(g) })]);
  }),
  Exp: unary((c, g) => c.e.op('Mul', [g, y0(c)])),
  Log: unary((c, g) => c.e.op('Div', [g, x(c, 0)])),
  Sqrt: unary((c, g) => c.e.op('Div', [c.e.op('Mul', [g, c.e.scalar(0.5, c.type(g))]), y0(c)])),
  Sin: unary((c, g) => c.e.op('Mul', [g, c.e.op('Cos', [x(c, 0)])])),
  Cos: unary((c, g) => c.e.op('Neg', [c.e.op('Mul', [g, c.e.op('Sin', [x(c, 0)])])])),
  // d erf(x)/dx = 2/√π · e^(−x²)
  Erf: unary((c, g) => {
    const t = c.type(g);
    const gauss = c.e.op('Exp', [c.e.op('Neg', [c.e.op('Mul', [x(c, 0), x(c, 0)])])]);
    return c.e.op('Mul', [g, c.e.op('Mul', [gauss, c.e.scalar(2 / Math.sqrt(Math.PI), t)])]);
  }),
  Pow: (c) => {
    if (c.needs[1]) c.fail('gradients with respect to the exponent are not supported');
    const g = dy0(c);
    const exponent = c.e.op('Cast', [x(c, 1)], { to: c.type(g) });
    const lower = c.e.op('Pow', [x(c, 0), c.e.op('Sub', [exponent, one(c)])]);
    const local = c.e.op('Mul', [g, c.e.op('Mul', [exponent, lower])]);
    return [unbroadcast(c, local, c.shape(y0(c)), c.shape(x(c, 0))), undefined];
  },
};
