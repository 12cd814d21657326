// Finite-difference checks of the backward graph: a graph f(inputs) → y gets the loss
// L = Σ y·R (R fixed random), its backward graph is appended, and the analytic gradients are
// compared with central differences of L on the same ONNX Runtime session.
import { DataType, encodeModel, GraphBuilder, loadOrt } from '@stylelicense/diffusion';
import { appendBackward, elementTypes, gradientName, probeValueInfo } from '../src';

export interface CheckInput {
  readonly name: string;
  readonly dims: number[];
  /** Differentiate with respect to it (default true). */
  readonly wrt?: boolean;
  /** Values (default: seeded uniform in [-1, 1]). */
  readonly values?: number[];
}

export interface CheckOptions {
  /** float64 where ONNX Runtime's CPU provider has float64 kernels, else float32. */
  readonly dtype: 'float64' | 'float32';
  readonly inputs: CheckInput[];
  readonly build: (g: GraphBuilder, inputs: string[], elem: number) => string;
  /** Coordinates checked per input (all when the input is smaller). */
  readonly coordinates?: number;
}

export interface CheckResult {
  /** Worst |analytic − numeric| / (atol + rtol · max(|analytic|, |numeric|)) over checked coordinates: ≤ 1 passes. */
  readonly worst: number;
  readonly checked: number;
  /** Largest |gradient| seen, so a test can tell a vanishing gradient from a checked one. */
  readonly largest: number;
}

function seeded(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return ((s >>> 0) / 4294967296) * 2 - 1;
  };
}

export async function gradCheck(options: CheckOptions): Promise<CheckResult> {
  const ort = loadOrt();
  const wide = options.dtype === 'float64';
  const elem = wide ? DataType.DOUBLE : DataType.FLOAT;
  const g = new GraphBuilder('check');
  const names = options.inputs.map((i) => g.input(i.name, elem, i.dims));
  const y = options.build(g, names, elem);
  // The loss is summed in float64 even for float32 ops, so its rounding does not drown the differences.
  const yWide = wide ? y : g.node('Cast', [y], { to: DataType.DOUBLE });
  const random = seeded(7);
  const probeShape = await outputShape(g, y, options, wide);
  const count = probeShape.reduce((n, d) => n * d, 1);
  const r = g.initializer(
    'R',
    DataType.DOUBLE,
    probeShape,
    new Uint8Array(Float64Array.from({ length: count }, random).buffer),
  );
  const loss = g.node('ReduceSum', [g.node('Mul', [yWide, r])], { keepdims: 0 });
  g.output(loss, 'loss', DataType.DOUBLE, []);
  const model = g.toModel([{ domain: '', version: 17 }]);

  const feedsValues = options.inputs.map((input, k) => {
    const n = input.dims.reduce((a, b) => a * b, 1);
    const rand = seeded(100 + k);
    return input.values ? [...input.values] : Array.from({ length: n }, rand);
  });
  const tensor = (values: number[], dims: number[]) =>
    new ort.Tensor(
      wide ? 'float64' : 'float32',
      wide ? Float64Array.from(values) : Float32Array.from(values),
      dims,
    );
  const feeds = (values: number[][]) =>
    Object.fromEntries(options.inputs.map((input, k) => [input.name, tensor(values[k]!, input.dims)]));

  const info = await probeValueInfo(ort, model, feeds(feedsValues));
  const wrt = options.inputs.filter((i) => i.wrt !== false).map((i) => i.name);
  appendBackward(model, { loss: 'loss', wrt, info });
  const session = await ort.InferenceSession.create(encodeModel(model), { logSeverityLevel: 3 });
  const lossAt = async (values: number[][]) =>
    Number((await session.run(feeds(values), ['loss'])).loss!.data[0]);
  const analytic = await session.run(feeds(feedsValues));

  const [step, atol, rtol] = wide ? [1e-6, 1e-7, 1e-5] : [1e-3, 2e-3, 2e-2];
  let worst = 0;
  let checked = 0;
  let largest = 0;
  for (const [k, input] of options.inputs.entries()) {
    if (input.wrt === false) continue;
    const grad = analytic[gradientName(input.name)]!.data as Float64Array | Float32Array;
    const n = grad.length;
    const picks = Math.min(n, options.coordinates ?? 48);
    for (let p = 0; p < picks; p++) {
      const index = picks === n ? p : Math.floor((p * n) / picks + (n / picks) * 0.37) % n;
      const plus = feedsValues.map((v) => [...v]);
      const minus = feedsValues.map((v) => [...v]);
      plus[k]![index]! += step;
      minus[k]![index]! -= step;
      // Central difference over the perturbed input value as it was actually fed (float32 rounds it).
      const h = wide ? 2 * step : Math.fround(plus[k]![index]!) - Math.fround(minus[k]![index]!);
      const numeric = ((await lossAt(plus)) - (await lossAt(minus))) / h;
      const a = grad[index]!;
      largest = Math.max(largest, Math.abs(a), Math.abs(numeric));
      worst = Math.max(
        worst,
        Math.abs(a - numeric) / (atol + rtol * Math.max(Math.abs(a), Math.abs(numeric))),
      );
      checked++;
    }
  }
  await session.release();
  return { worst, checked, largest };
}

/** The shape of `y` for R: one forward run of the graph so far, on zeros. */
async function outputShape(
  g: GraphBuilder,
  y: string,
  options: CheckOptions,
  wide: boolean,
): Promise<number[]> {
  const ort = loadOrt();
  const model = g.toModel([{ domain: '', version: 17 }]);
  model.graph.outputs = [{ name: y, elemType: elementTypes(model.graph).get(y) }];
  const session = await ort.InferenceSession.create(encodeModel(model), { logSeverityLevel: 3 });
  const feeds = Object.fromEntries(
    options.inputs.map((input) => {
      const n = input.dims.reduce((a, b) => a * b, 1);
      const data = wide ? new Float64Array(n) : new Float32Array(n);
      return [input.name, new ort.Tensor(wide ? 'float64' : 'float32', data, input.dims)];
    }),
  );
  const out = await session.run(feeds);
  await session.release();
  return [...out[y]!.dims];
}
