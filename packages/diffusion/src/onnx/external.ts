// Writing models whose weights live in a separate file (ONNX external data):
// required above protobuf's 2 GB limit, and how Optimum saves SD 1.5 in fp32.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeModel, writeModelFile } from './encode';
import type { OnnxModel, OnnxTensor } from './model';
import { type Chunk, isLazy, OnnxFormatError } from './proto';

export interface ExternalDataOptions {
  /** File name (beside the model) that receives the weights, e.g. `model.onnx_data`. */
  dataFile: string;
  /** Tensors at least this large (bytes) go external; smaller ones stay inline. Default 1024. */
  minBytes?: number;
}

// Offsets aligned like onnx's save_model helpers (page alignment keeps mmap happy).
const ALIGN = 4096;

/**
 * Move every tensor of at least `minBytes` into one data blob (via `append`,
 * which receives the bytes in order and their offset) and return the model that
 * references them. Lazy tensors are produced one at a time.
 */
function externalize(
  model: OnnxModel,
  options: ExternalDataOptions,
  append: (bytes: Uint8Array) => void,
): { model: OnnxModel; dataBytes: number } {
  if (options.dataFile.includes('/') || options.dataFile.includes('\\')) {
    throw new OnnxFormatError('External data file must be a bare file name beside the model');
  }
  const minBytes = options.minBytes ?? 1024;
  let offset = 0;
  const initializers = model.graph.initializers.map((t): OnnxTensor => {
    const raw: Chunk | undefined = t.rawData;
    if (raw === undefined || raw.byteLength < minBytes) return t;
    const pad = (ALIGN - (offset % ALIGN)) % ALIGN;
    if (pad) {
      append(new Uint8Array(pad));
      offset += pad;
    }
    const bytes = isLazy(raw) ? raw.produce() : raw;
    if (bytes.byteLength !== raw.byteLength)
      throw new OnnxFormatError(`Lazy tensor ${t.name} produced the wrong size`);
    append(bytes);
    const ext: OnnxTensor = {
      ...t,
      dataLocation: 'external',
      externalData: [
        { key: 'location', value: options.dataFile },
        { key: 'offset', value: String(offset) },
        { key: 'length', value: String(bytes.byteLength) },
      ],
    };
    delete ext.rawData;
    offset += bytes.byteLength;
    return ext;
  });
  return { model: { ...model, graph: { ...model.graph, initializers } }, dataBytes: offset };
}

/**
 * Write `model` as `<dir>/<modelFile>` + `<dir>/<dataFile>`, streaming each
 * tensor's bytes. The in-memory model is left unchanged. Returns the total bytes written.
 */
export function writeModelWithExternalData(
  model: OnnxModel,
  dir: string,
  modelFile: string,
  options: ExternalDataOptions,
): number {
  const fd = openSync(join(dir, options.dataFile), 'w');
  try {
    const { model: graphOnly, dataBytes } = externalize(model, options, (bytes) => {
      let off = 0;
      while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
    });
    return writeModelFile(graphOnly, join(dir, modelFile)) + dataBytes;
  } finally {
    closeSync(fd);
  }
}

/**
 * Encode a model whose weights exceed protobuf's 2 GB limit for an in-memory
 * session: `InferenceSession.create(result.model, { externalData: result.externalData })`
 * (onnxruntime-node 1.29 accepts in-memory external data this way).
 */
export function encodeModelWithExternalData(
  model: OnnxModel,
  options: ExternalDataOptions,
): { model: Uint8Array; externalData: { path: string; data: Uint8Array }[] } {
  const parts: Uint8Array[] = [];
  const { model: graphOnly, dataBytes } = externalize(model, options, (bytes) => parts.push(bytes));
  const data = new Uint8Array(dataBytes);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.byteLength;
  }
  return { model: encodeModel(graphOnly), externalData: [{ path: options.dataFile, data }] };
}
