// ModelProto encoder. Field numbers follow onnx/onnx.proto (proto2: repeated
// scalars are written unpacked except the TensorProto data fields marked packed).
import { closeSync, openSync, writeSync } from 'node:fs';
import type {
  OnnxAttribute,
  OnnxGraph,
  OnnxModel,
  OnnxNode,
  OnnxTensor,
  OnnxValueInfo,
  StringEntry,
} from './model';
import { type Chunk, isLazy, OnnxFormatError, ProtoWriter } from './proto';

const ATTR_TYPE = {
  float: 1,
  int: 2,
  string: 3,
  tensor: 4,
  graph: 5,
  floats: 6,
  ints: 7,
  strings: 8,
} as const;

function writeUnknown(w: ProtoWriter, fields: Uint8Array[] | undefined): void {
  for (const f of fields ?? []) w.raw(f);
}

function entry(e: StringEntry): ProtoWriter {
  const w = new ProtoWriter();
  w.string(1, e.key);
  w.string(2, e.value);
  return w;
}

function packedVarints(values: readonly (number | bigint)[]): ProtoWriter {
  const w = new ProtoWriter();
  for (const v of values) w.bareVarint(v);
  return w;
}

function packedFloats(values: readonly number[], bytesPer: 4 | 8): Uint8Array {
  const out = new Uint8Array(values.length * bytesPer);
  const view = new DataView(out.buffer);
  values.forEach((v, i) =>
    bytesPer === 4 ? view.setFloat32(i * 4, v, true) : view.setFloat64(i * 8, v, true),
  );
  return out;
}

export function tensorWriter(t: OnnxTensor): ProtoWriter {
  const w = new ProtoWriter();
  for (const d of t.dims) w.varint(1, d);
  w.varint(2, t.dataType);
  if (t.floatData?.length) w.bytes(4, packedFloats(t.floatData, 4));
  if (t.int32Data?.length) w.message(5, packedVarints(t.int32Data));
  for (const s of t.stringData ?? []) w.bytes(6, s);
  if (t.int64Data?.length) w.message(7, packedVarints(t.int64Data));
  if (t.name) w.string(8, t.name);
  if (t.rawData !== undefined) w.bytes(9, t.rawData);
  if (t.doubleData?.length) w.bytes(10, packedFloats(t.doubleData, 8));
  if (t.docString) w.string(12, t.docString);
  for (const e of t.externalData ?? []) w.message(13, entry(e));
  if (t.dataLocation === 'external') w.varint(14, 1);
  writeUnknown(w, t.unknownFields);
  return w;
}

function valueInfoWriter(v: OnnxValueInfo): ProtoWriter {
  const w = new ProtoWriter();
  w.string(1, v.name);
  if (v.elemType !== undefined || v.typeUnknownFields?.length) {
    const type = new ProtoWriter();
    if (v.elemType !== undefined) {
      const tensorType = new ProtoWriter();
      tensorType.varint(1, v.elemType);
      if (v.shape) {
        const shape = new ProtoWriter();
        for (const d of v.shape) {
          const dim = new ProtoWriter();
          if (typeof d === 'number') dim.varint(1, d);
          else if (typeof d === 'string') dim.string(2, d);
          shape.message(1, dim);
        }
        tensorType.message(2, shape);
      }
      type.message(1, tensorType);
    }
    writeUnknown(type, v.typeUnknownFields);
    w.message(2, type);
  }
  if (v.docString) w.string(3, v.docString);
  writeUnknown(w, v.unknownFields);
  return w;
}

function attributeWriter(a: OnnxAttribute): ProtoWriter {
  const w = new ProtoWriter();
  w.string(1, a.name);
  switch (a.type) {
    case 'float':
      w.float(2, a.value);
      break;
    case 'int':
      w.varint(3, a.value);
      break;
    case 'string':
      w.string(4, a.value);
      break;
    case 'tensor':
      w.message(5, tensorWriter(a.value));
      break;
    case 'graph':
      w.message(6, graphWriter(a.value));
      break;
    case 'floats':
      for (const f of a.value) w.float(7, f);
      break;
    case 'ints':
      for (const i of a.value) w.varint(8, i);
      break;
    case 'strings':
      for (const s of a.value) w.string(9, s);
      break;
    case 'other':
      // Fields kept verbatim from decode (name was re-emitted above, so skip it there).
      writeUnknown(w, a.value);
      return w;
  }
  w.varint(20, ATTR_TYPE[a.type]);
  return w;
}

function nodeWriter(n: OnnxNode): ProtoWriter {
  const w = new ProtoWriter();
  for (const i of n.inputs) w.string(1, i);
  for (const o of n.outputs) w.string(2, o);
  if (n.name) w.string(3, n.name);
  w.string(4, n.opType);
  for (const a of n.attributes ?? []) w.message(5, attributeWriter(a));
  if (n.docString) w.string(6, n.docString);
  if (n.domain) w.string(7, n.domain);
  writeUnknown(w, n.unknownFields);
  return w;
}

export function graphWriter(g: OnnxGraph): ProtoWriter {
  const w = new ProtoWriter();
  for (const n of g.nodes) w.message(1, nodeWriter(n));
  w.string(2, g.name);
  for (const t of g.initializers) w.message(5, tensorWriter(t));
  if (g.docString) w.string(10, g.docString);
  for (const v of g.inputs) w.message(11, valueInfoWriter(v));
  for (const v of g.outputs) w.message(12, valueInfoWriter(v));
  for (const v of g.valueInfo) w.message(13, valueInfoWriter(v));
  writeUnknown(w, g.unknownFields);
  return w;
}

function modelChunks(m: OnnxModel): Chunk[] {
  const w = new ProtoWriter();
  w.varint(1, m.irVersion);
  if (m.producerName) w.string(2, m.producerName);
  if (m.producerVersion) w.string(3, m.producerVersion);
  if (m.domain) w.string(4, m.domain);
  if (m.modelVersion) w.varint(5, m.modelVersion);
  if (m.docString) w.string(6, m.docString);
  w.message(7, graphWriter(m.graph));
  for (const o of m.opsetImports) {
    const op = new ProtoWriter();
    if (o.domain) op.string(1, o.domain);
    op.varint(2, o.version);
    w.message(8, op);
  }
  for (const e of m.metadata ?? []) w.message(14, entry(e));
  writeUnknown(w, m.unknownFields);
  return w.finish();
}

/** Protobuf's hard limit for one serialized message; bigger models need external data. */
export const PROTOBUF_LIMIT = 2 ** 31 - 1;

function totalSize(chunks: Chunk[]): number {
  return chunks.reduce((n, c) => n + c.byteLength, 0);
}

/** Serialize a model to bytes (lazy tensor data is produced now). */
export function encodeModel(model: OnnxModel): Uint8Array {
  const chunks = modelChunks(model);
  const size = totalSize(chunks);
  if (size > PROTOBUF_LIMIT) {
    throw new OnnxFormatError(
      `Model is ${size} bytes, over protobuf's 2 GB limit: store weights as external data`,
    );
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    const bytes = isLazy(c) ? c.produce() : c;
    if (bytes.byteLength !== c.byteLength)
      throw new OnnxFormatError('Lazy tensor produced the wrong number of bytes');
    out.set(bytes, at);
    at += bytes.byteLength;
  }
  return out;
}

/** Stream a model to a file, producing lazy tensor data one tensor at a time. Returns bytes written. */
export function writeModelFile(model: OnnxModel, path: string): number {
  const chunks = modelChunks(model);
  const size = totalSize(chunks);
  if (size > PROTOBUF_LIMIT) {
    throw new OnnxFormatError(
      `Model is ${size} bytes, over protobuf's 2 GB limit: store weights as external data`,
    );
  }
  writeChunks(chunks, path);
  return size;
}

export function writeChunks(chunks: Chunk[], path: string): void {
  const fd = openSync(path, 'w');
  try {
    for (const c of chunks) {
      const bytes = isLazy(c) ? c.produce() : c;
      if (bytes.byteLength !== c.byteLength)
        throw new OnnxFormatError('Lazy tensor produced the wrong number of bytes');
      let off = 0;
      while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
    }
  } finally {
    closeSync(fd);
  }
}
