// ModelProto decoder. Tensor bytes are views into the input buffer (no copy),
// so decoding a 2 GB model costs little more than reading the file.
import type {
  OnnxAttribute,
  OnnxDim,
  OnnxGraph,
  OnnxModel,
  OnnxNode,
  OnnxTensor,
  OnnxValueInfo,
  StringEntry,
} from './model';
import { OnnxFormatError, ProtoReader, Wire } from './proto';

function readEntry(r: ProtoReader): StringEntry {
  const e: StringEntry = { key: '', value: '' };
  while (!r.done) {
    const { field, wire } = r.next();
    if (field === 1 && wire === Wire.LEN) e.key = r.string();
    else if (field === 2 && wire === Wire.LEN) e.value = r.string();
    else r.skip(wire);
  }
  return e;
}

function push<T>(list: T[] | undefined, value: T): T[] {
  const out = list ?? [];
  out.push(value);
  return out;
}

export function readTensor(r: ProtoReader): OnnxTensor {
  const t: OnnxTensor = { name: '', dataType: 0, dims: [] };
  while (!r.done) {
    const { field, wire, start } = r.next();
    switch (field) {
      case 1:
        r.repeatedVarint(wire, t.dims);
        break;
      case 2:
        t.dataType = r.varint();
        break;
      case 4:
        r.repeatedFloat(wire, (t.floatData ??= []));
        break;
      case 5:
        r.repeatedVarint(wire, (t.int32Data ??= []));
        break;
      case 6:
        t.stringData = push(t.stringData, r.bytes());
        break;
      case 7: {
        const list = (t.int64Data ??= []);
        if (wire === Wire.LEN) {
          const s = r.sub();
          while (!s.done) list.push(s.varintBig());
        } else list.push(r.varintBig());
        break;
      }
      case 8:
        t.name = r.string();
        break;
      case 9:
        t.rawData = r.bytes();
        break;
      case 10: {
        const list = (t.doubleData ??= []);
        if (wire === Wire.LEN) {
          const b = r.bytes();
          const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
          for (let i = 0; i + 8 <= b.byteLength; i += 8) list.push(view.getFloat64(i, true));
        } else {
          t.unknownFields = push(t.unknownFields, r.unknown(start, wire));
        }
        break;
      }
      case 12:
        t.docString = r.string();
        break;
      case 13:
        t.externalData = push(t.externalData, readEntry(r.sub()));
        break;
      case 14:
        t.dataLocation = r.varint() === 1 ? 'external' : 'default';
        break;
      default:
        t.unknownFields = push(t.unknownFields, r.unknown(start, wire));
    }
  }
  return t;
}

function readDim(r: ProtoReader): OnnxDim {
  let dim: OnnxDim = null;
  while (!r.done) {
    const { field, wire } = r.next();
    if (field === 1 && wire === Wire.VARINT) dim = r.varint();
    else if (field === 2 && wire === Wire.LEN) dim = r.string();
    else r.skip(wire);
  }
  return dim;
}

function readTensorType(r: ProtoReader, v: OnnxValueInfo): void {
  while (!r.done) {
    const { field, wire } = r.next();
    if (field === 1 && wire === Wire.VARINT) v.elemType = r.varint();
    else if (field === 2 && wire === Wire.LEN) {
      const shape: OnnxDim[] = [];
      const s = r.sub();
      while (!s.done) {
        const f = s.next();
        if (f.field === 1 && f.wire === Wire.LEN) shape.push(readDim(s.sub()));
        else s.skip(f.wire);
      }
      v.shape = shape;
    } else r.skip(wire);
  }
}

function readValueInfo(r: ProtoReader): OnnxValueInfo {
  const v: OnnxValueInfo = { name: '' };
  while (!r.done) {
    const { field, wire, start } = r.next();
    if (field === 1) v.name = r.string();
    else if (field === 2) {
      const t = r.sub();
      while (!t.done) {
        const f = t.next();
        if (f.field === 1 && f.wire === Wire.LEN) readTensorType(t.sub(), v);
        else v.typeUnknownFields = push(v.typeUnknownFields, t.unknown(f.start, f.wire));
      }
    } else if (field === 3) v.docString = r.string();
    else v.unknownFields = push(v.unknownFields, r.unknown(start, wire));
  }
  return v;
}

function readAttribute(r: ProtoReader): OnnxAttribute {
  let name = '';
  let type = 0;
  const raw: Uint8Array[] = [];
  let f: number | undefined;
  let i: number | undefined;
  let s: string | undefined;
  let t: OnnxTensor | undefined;
  let g: OnnxGraph | undefined;
  const floats: number[] = [];
  const ints: number[] = [];
  const strings: string[] = [];
  while (!r.done) {
    const { field, wire, start } = r.next();
    switch (field) {
      case 1:
        name = r.string();
        continue;
      case 2:
        f = r.float();
        break;
      case 3:
        i = r.varint();
        break;
      case 4:
        s = r.string();
        break;
      case 5:
        t = readTensor(r.sub());
        break;
      case 6:
        g = readGraph(r.sub());
        break;
      case 7:
        r.repeatedFloat(wire, floats);
        break;
      case 8:
        r.repeatedVarint(wire, ints);
        break;
      case 9:
        strings.push(r.string());
        break;
      case 20:
        type = r.varint();
        break;
      default:
        r.skip(wire);
    }
    // Keep every non-name field verbatim, for attribute kinds not modelled here.
    raw.push(r.buf.slice(start, r.pos));
  }
  switch (type) {
    case 1:
      return { name, type: 'float', value: f ?? 0 };
    case 2:
      return { name, type: 'int', value: i ?? 0 };
    case 3:
      return { name, type: 'string', value: s ?? '' };
    case 4:
      if (!t) throw new OnnxFormatError(`Attribute ${name} is TENSOR without a tensor`);
      return { name, type: 'tensor', value: t };
    case 5:
      if (!g) throw new OnnxFormatError(`Attribute ${name} is GRAPH without a graph`);
      return { name, type: 'graph', value: g };
    case 6:
      return { name, type: 'floats', value: floats };
    case 7:
      return { name, type: 'ints', value: ints };
    case 8:
      return { name, type: 'strings', value: strings };
    default:
      return { name, type: 'other', value: raw };
  }
}

function readNode(r: ProtoReader): OnnxNode {
  const n: OnnxNode = { opType: '', inputs: [], outputs: [] };
  while (!r.done) {
    const { field, wire, start } = r.next();
    if (field === 1) n.inputs.push(r.string());
    else if (field === 2) n.outputs.push(r.string());
    else if (field === 3) n.name = r.string();
    else if (field === 4) n.opType = r.string();
    else if (field === 5) n.attributes = push(n.attributes, readAttribute(r.sub()));
    else if (field === 6) n.docString = r.string();
    else if (field === 7) n.domain = r.string();
    else n.unknownFields = push(n.unknownFields, r.unknown(start, wire));
  }
  return n;
}

export function readGraph(r: ProtoReader): OnnxGraph {
  const g: OnnxGraph = { name: '', nodes: [], initializers: [], inputs: [], outputs: [], valueInfo: [] };
  while (!r.done) {
    const { field, wire, start } = r.next();
    if (field === 1) g.nodes.push(readNode(r.sub()));
    else if (field === 2) g.name = r.string();
    else if (field === 5) g.initializers.push(readTensor(r.sub()));
    else if (field === 10) g.docString = r.string();
    else if (field === 11) g.inputs.push(readValueInfo(r.sub()));
    else if (field === 12) g.outputs.push(readValueInfo(r.sub()));
    else if (field === 13) g.valueInfo.push(readValueInfo(r.sub()));
    else g.unknownFields = push(g.unknownFields, r.unknown(start, wire));
  }
  return g;
}

/**
 * Decode an ONNX model. Tensor `rawData` fields are views into `bytes`: keep
 * `bytes` alive and unmodified while the model is in use (or copy what you edit).
 */
export function decodeModel(bytes: Uint8Array): OnnxModel {
  const r = new ProtoReader(bytes);
  const m: OnnxModel = { irVersion: 0, opsetImports: [], graph: undefined as unknown as OnnxGraph };
  let sawGraph = false;
  while (!r.done) {
    const { field, wire, start } = r.next();
    switch (field) {
      case 1:
        m.irVersion = r.varint();
        break;
      case 2:
        m.producerName = r.string();
        break;
      case 3:
        m.producerVersion = r.string();
        break;
      case 4:
        m.domain = r.string();
        break;
      case 5:
        m.modelVersion = r.varint();
        break;
      case 6:
        m.docString = r.string();
        break;
      case 7:
        m.graph = readGraph(r.sub());
        sawGraph = true;
        break;
      case 8: {
        const o = { domain: '', version: 0 };
        const s = r.sub();
        while (!s.done) {
          const f = s.next();
          if (f.field === 1) o.domain = s.string();
          else if (f.field === 2) o.version = s.varint();
          else s.skip(f.wire);
        }
        m.opsetImports.push(o);
        break;
      }
      case 14:
        m.metadata = push(m.metadata, readEntry(r.sub()));
        break;
      default:
        m.unknownFields = push(m.unknownFields, r.unknown(start, wire));
    }
  }
  if (!sawGraph || m.irVersion === 0) {
    throw new OnnxFormatError('Not an ONNX model: no graph or IR version found');
  }
  return m;
}
