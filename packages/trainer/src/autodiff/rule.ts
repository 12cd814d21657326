import type { OnnxNode } from '@stylelicense/diffusion';
import type { Emitter } from './emitter';
import { TrainingGraphError } from './errors';

/** What a gradient rule sees of one forward node. */
export interface RuleContext {
  readonly node: OnnxNode;
  readonly e: Emitter;
  /** Gradient of the loss with respect to each output (undefined: the output does not reach the loss). */
  readonly dy: readonly (string | undefined)[];
  /** Which inputs need a gradient; a rule may skip the others. */
  readonly needs: readonly boolean[];
  shape(value: string): readonly number[];
  type(value: string): number;
  /** The values of a constant int64 input (an initializer), or a build-time error naming the node. */
  constInts(value: string): number[];
  intAttr(name: string, fallback: number): number;
  intsAttr(name: string): number[] | undefined;
  floatAttr(name: string, fallback: number): number;
  stringAttr(name: string, fallback: string): string;
  fail(reason: string): never;
}

/** Returns one gradient per input (undefined where none is needed or none exists). */
export type GradientRule = (c: RuleContext) => (string | undefined)[];

export function failFor(node: OnnxNode, reason: string): never {
  throw new TrainingGraphError(`${node.opType} node ${node.name ?? node.outputs[0]}: ${reason}`);
}

/** Sums `g` (shaped `from`) down to `to` (numpy broadcasting in reverse). */
export function unbroadcast(
  c: RuleContext,
  g: string,
  from: readonly number[],
  to: readonly number[],
): string {
  if (from.length === to.length && from.every((d, i) => d === to[i])) return g;
  const lead = from.length - to.length;
  const axes: number[] = [];
  from.forEach((d, i) => {
    if (i < lead || (to[i - lead] === 1 && d !== 1)) axes.push(i);
  });
  const summed = axes.length > 0 ? c.e.op('ReduceSum', [g, c.e.ints(axes)], { keepdims: 1 }) : g;
  return c.e.op('Reshape', [summed, c.e.ints(to)]);
}

/** The gradient of output 0, which every single-output rule needs. */
export function dy0(c: RuleContext): string {
  const g = c.dy[0];
  if (g === undefined) c.fail('rule called without an output gradient');
  return g;
}

export function normalizeAxis(axis: number, rank: number): number {
  return axis < 0 ? axis + rank : axis;
}
