import { float32ToHalfBits, halfTable, halfToFloat32, toHalfBits } from '../onnx';
import { DiffusionError, fromRuntimeError } from './errors';
import { loadOrt, type InferenceSession, type OrtTensor } from './ort';

/** Name, element type and dims of one session input, as ONNX Runtime reports them. */
export interface InputSpec {
  name: string;
  type: string;
  /** numbers for fixed dims, strings for symbolic ones */
  shape: readonly (number | string)[];
}

export function inputSpecs(session: InferenceSession, component: string): Map<string, InputSpec> {
  const specs = new Map<string, InputSpec>();
  for (const meta of session.inputMetadata) {
    if (!meta.isTensor)
      throw new DiffusionError('MODEL_INVALID', `${component}: input ${meta.name} is not a tensor`);
    specs.set(meta.name, { name: meta.name, type: meta.type, shape: meta.shape });
  }
  return specs;
}

/** Picks a session input by its usual names, else by position. */
export function pickInput(
  specs: Map<string, InputSpec>,
  names: readonly string[],
  position: number,
  component: string,
): InputSpec {
  for (const name of names) {
    const spec = specs.get(name);
    if (spec) return spec;
  }
  const byPosition = [...specs.values()][position];
  if (!byPosition)
    throw new DiffusionError('MODEL_INVALID', `${component}: no input named ${names.join(' / ')}`);
  return byPosition;
}

/** A float tensor in the dtype the model wants (fp32, or fp16 as raw half bits). */
export function floatTensor(values: Float32Array, spec: InputSpec, dims: readonly number[]): OrtTensor {
  const ort = loadOrt();
  switch (spec.type) {
    case 'float32':
      return new ort.Tensor('float32', values, dims);
    case 'float16':
      return new ort.Tensor('float16', float32ToHalfBits(values), dims);
    default:
      throw new DiffusionError(
        'MODEL_INVALID',
        `input ${spec.name} has unsupported type ${spec.type} (expected float32/float16)`,
      );
  }
}

/** A timestep tensor in whatever dtype the UNet declares (float, half or integer). */
export function timestepTensor(timestep: number, spec: InputSpec, count: number): OrtTensor {
  const ort = loadOrt();
  const dims = spec.shape.length === 0 ? [] : [count];
  const n = Math.max(count, 1);
  switch (spec.type) {
    case 'float32':
      return new ort.Tensor('float32', new Float32Array(n).fill(timestep), dims);
    case 'float16':
      return new ort.Tensor('float16', new Uint16Array(n).fill(toHalfBits(timestep)), dims);
    case 'int64':
      return new ort.Tensor('int64', new BigInt64Array(n).fill(BigInt(Math.round(timestep))), dims);
    case 'int32':
      return new ort.Tensor('int32', new Int32Array(n).fill(Math.round(timestep)), dims);
    default:
      throw new DiffusionError(
        'MODEL_INVALID',
        `timestep input ${spec.name} has unsupported type ${spec.type}`,
      );
  }
}

export function idsTensor(ids: Int32Array, spec: InputSpec): OrtTensor {
  const ort = loadOrt();
  const dims = [1, ids.length];
  switch (spec.type) {
    case 'int32':
      return new ort.Tensor('int32', ids, dims);
    case 'int64':
      return new ort.Tensor(
        'int64',
        BigInt64Array.from(ids, (v) => BigInt(v)),
        dims,
      );
    default:
      throw new DiffusionError(
        'MODEL_INVALID',
        `text encoder input ${spec.name} has unsupported type ${spec.type}`,
      );
  }
}

/** A float output as float32 values (fp16 widened). */
export function readFloats(tensor: OrtTensor | undefined, what: string): Float32Array {
  if (!tensor) throw new DiffusionError('MODEL_INVALID', `${what}: model produced no output`);
  if (tensor.type === 'float32') return tensor.data as Float32Array;
  if (tensor.type === 'float16') {
    return halfToFloat32(tensor.data as Uint16Array);
  }
  throw new DiffusionError('MODEL_INVALID', `${what}: output has unsupported type ${tensor.type}`);
}

/**
 * The guided noise prediction ε = ε_u + g·(ε_c − ε_u) into `out`, reading each model output once
 * and widening fp16 on the way. Both halves may come from one batch-2 output at different offsets.
 */
export function guidedPrediction(
  out: Float32Array,
  uncond: OrtTensor,
  uncondOffset: number,
  cond: OrtTensor,
  condOffset: number,
  scale: number,
  what: string,
): void {
  const n = out.length;
  if (uncond.type === 'float16' && cond.type === 'float16') {
    const u = uncond.data as Uint16Array;
    const c = cond.data as Uint16Array;
    const widen = halfTable();
    for (let i = 0; i < n; i++) {
      const e = widen[u[uncondOffset + i]!]!;
      out[i] = e + scale * (widen[c[condOffset + i]!]! - e);
    }
  } else if (uncond.type === 'float32' && cond.type === 'float32') {
    const u = uncond.data as Float32Array;
    const c = cond.data as Float32Array;
    for (let i = 0; i < n; i++) {
      const e = u[uncondOffset + i]!;
      out[i] = e + scale * (c[condOffset + i]! - e);
    }
  } else {
    throw new DiffusionError('MODEL_INVALID', `${what}: output has unsupported type ${cond.type}`);
  }
}

/** A float output as float32 values (fp16 widened) into `out`, from element `offset` on. */
export function readFloatsInto(out: Float32Array, tensor: OrtTensor, what: string, offset = 0): void {
  const end = offset + out.length;
  if (tensor.type === 'float32') {
    out.set((tensor.data as Float32Array).subarray(offset, end));
  } else if (tensor.type === 'float16') {
    halfToFloat32((tensor.data as Uint16Array).subarray(offset, end), out);
  } else {
    throw new DiffusionError('MODEL_INVALID', `${what}: output has unsupported type ${tensor.type}`);
  }
}

/** Runs a session and returns its first output; runtime failures become DiffusionErrors. */
export async function runSession(
  session: InferenceSession,
  feeds: Record<string, OrtTensor>,
  what: string,
): Promise<OrtTensor> {
  let outputs: Awaited<ReturnType<InferenceSession['run']>>;
  try {
    outputs = await session.run(feeds);
  } catch (error) {
    throw fromRuntimeError(error, what);
  }
  const first = outputs[session.outputNames[0]!];
  if (!first) throw new DiffusionError('MODEL_INVALID', `${what}: no output`);
  return first;
}
