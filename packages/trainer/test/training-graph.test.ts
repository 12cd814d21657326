// The whole tiny-UNet training graph: its LoRA-factor gradients against central differences of
// the loss on a few coordinates, and unsupported ops refused by name before anything runs.
import { buildUNet, DataType, GraphBuilder, loadOrt, PRESETS } from '@stylelicense/diffusion';
import type { Tensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { appendBackward, probeValueInfo, TrainingGraphError } from '../src';
import {
  buildTrainingGraph,
  gradientName,
  LOSS_OUTPUT,
  LOSS_SCALE_INPUT,
  LOSS_WEIGHT_INPUT,
  TARGET_INPUT,
} from '../src/training-graph';

function values(count: number, seed: number, scale: number): Float32Array {
  let s = seed;
  return Float32Array.from({ length: count }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s / 2 ** 32 - 0.5) * 2 * scale;
  });
}

describe('tiny UNet training graph', () => {
  it('gives LoRA-factor gradients that match finite differences of the loss', async () => {
    const ort = loadOrt();
    const preset = PRESETS.tiny.unet;
    const unet = buildUNet(preset, { dtype: 'fp32', seed: 3, fused: [] });
    const options = {
      rank: 2,
      batch: 1,
      latentChannels: 4,
      latentHeight: 8,
      latentWidth: 8,
      tokens: 6,
      contextDim: preset.crossAttentionDim,
    };
    const graph = await buildTrainingGraph(ort, unet, options);
    expect(graph.targets.length).toBeGreaterThan(10);
    const session = await ort.InferenceSession.create(graph.bytes, { logSeverityLevel: 3 });

    const feeds: Record<string, Tensor> = {
      sample: new ort.Tensor('float32', values(4 * 64, 1, 1), [1, 4, 8, 8]),
      timestep: new ort.Tensor('int64', BigInt64Array.from([500n]), [1]),
      encoder_hidden_states: new ort.Tensor('float32', values(6 * 32, 2, 1), [1, 6, 32]),
      [TARGET_INPUT]: new ort.Tensor('float32', values(4 * 64, 3, 1), [1, 4, 8, 8]),
      [LOSS_WEIGHT_INPUT]: new ort.Tensor('float32', Float32Array.from([1]), [1]),
      [LOSS_SCALE_INPUT]: new ort.Tensor('float32', Float32Array.from([1]), []),
      [graph.scaleInput]: new ort.Tensor('float32', Float32Array.from([1]), [1]),
    };
    const factors = new Map<string, Float32Array>();
    graph.targets.forEach((t, k) => {
      const a = values(t.in * options.rank, 10 + k, 0.3);
      const b = values(options.rank * t.out, 500 + k, 0.3);
      factors.set(t.a.name, a).set(t.b.name, b);
      feeds[t.a.name] = new ort.Tensor('float32', a, [1, t.in, options.rank]);
      feeds[t.b.name] = new ort.Tensor('float32', b, [1, options.rank, t.out]);
    });
    const out = await session.run(feeds);
    expect(Number.isFinite(out[LOSS_OUTPUT]!.data[0])).toBe(true);

    // A few targets spread over the network (down, mid, up; attention, feed-forward, 1×1 conv),
    // on each A and B: the coordinate with the largest gradient, so float32 noise stays small beside it.
    const picked = [0, Math.floor(graph.targets.length / 2), graph.targets.length - 1].map(
      (i) => graph.targets[i]!,
    );
    const lossWith = async (name: string, index: number, delta: number) => {
      const changed = Float32Array.from(factors.get(name)!);
      changed[index]! += delta;
      const dims = feeds[name]!.dims;
      const r = await session.run({ ...feeds, [name]: new ort.Tensor('float32', changed, dims) }, [
        LOSS_OUTPUT,
      ]);
      return Number(r[LOSS_OUTPUT]!.data[0]);
    };
    let checked = 0;
    for (const target of picked) {
      for (const name of [target.a.name, target.b.name]) {
        const grad = out[gradientName(name)]!.data as Float32Array;
        expect(grad.length).toBe(factors.get(name)!.length);
        let index = 0;
        for (let i = 1; i < grad.length; i++) if (Math.abs(grad[i]!) > Math.abs(grad[index]!)) index = i;
        const step = 1e-2;
        const numeric =
          ((await lossWith(name, index, step)) - (await lossWith(name, index, -step))) / (2 * step);
        expect(Math.abs(grad[index]!), `${name}[${index}]`).toBeGreaterThan(1e-4);
        expect(
          Math.abs(grad[index]! - numeric),
          `${name}[${index}]: ${grad[index]} vs ${numeric}`,
        ).toBeLessThan(2e-2 * Math.abs(numeric) + 1e-5);
        checked++;
      }
    }
    expect(checked).toBe(6);
    await session.release();

    // Another resolution bucket from the same decoded UNet: building a graph leaves the model as it was.
    const other = await buildTrainingGraph(ort, unet, { ...options, latentHeight: 16, latentWidth: 8 });
    const second = await ort.InferenceSession.create(other.bytes, { logSeverityLevel: 3 });
    expect(second.outputNames.length).toBe(1 + 2 * other.targets.length);
    await second.release();
  });

  it('refuses an op without a gradient rule by name, before emitting anything', async () => {
    const ort = loadOrt();
    const g = new GraphBuilder('unsupported');
    const x = g.input('x', DataType.FLOAT, [4]);
    const y = g.node('ReduceSum', [
      g.node('HardSwish', [g.node('Mul', [x, x])]),
      g.node('Identity', [g.int64s([0])]),
    ]);
    g.output(y, 'loss', DataType.FLOAT, []);
    const model = g.toModel([{ domain: '', version: 17 }]);
    const info = await probeValueInfo(ort, model, { x: new ort.Tensor('float32', new Float32Array(4), [4]) });
    const nodes = model.graph.nodes.length;
    expect(() => appendBackward(model, { loss: 'loss', wrt: ['x'], info })).toThrow(TrainingGraphError);
    expect(() => appendBackward(model, { loss: 'loss', wrt: ['x'], info })).toThrow(/HardSwish/);
    expect(model.graph.nodes.length).toBe(nodes);
  });
});
