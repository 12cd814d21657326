// Writing models whose weights live in a separate file (ONNX external data):
// required above protobuf's 2 GB limit, and how Optimum saves SD 1.5 in fp32.
import { closeSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { writeModelFile } from './encode';
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
 * Write `model` as `<dir>/<modelFile>` + `<dir>/<dataFile>`, streaming each
 * tensor's bytes (lazy ones are produced one at a time). The in-memory model
 * is left unchanged. Returns the total bytes written.
 */
export function writeModelWithExternalData(model: OnnxModel, dir: string, modelFile: string, options: ExternalDataOptions): number {
  if (options.dataFile.includes('/') || options.dataFile.includes('\\')) {
    throw new OnnxFormatError('External data file must be a bare file name beside the model');
  }
  const minBytes = options.minBytes ?? 1024;
  const fd = openSync(join(dir, options.dataFile), 'w');
  let offset = 0;
  try {
    const initializers = model.graph.initializers.map((t) => {
      const raw: Chunk | undefined = t.rawData;
      if (raw === undefined || raw.byteLength < minBytes) return t;
      const pad = (ALIGN - (offset % ALIGN)) % ALIGN;
      if (pad) {
        writeSync(fd, new Uint8Array(pad));
        offset += pad;
      }
      const bytes = isLazy(raw) ? raw.produce() : raw;
      if (bytes.byteLength !== raw.byteLength) throw new OnnxFormatError(`Lazy tensor ${t.name} produced the wrong size`);
      let off = 0;
      while (off < bytes.byteLength) off += writeSync(fd, bytes, off, bytes.byteLength - off);
      const ext: OnnxTensor = {
        ...t,
        rawData: undefined,
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
    const graphBytes = writeModelFile({ ...model, graph: { ...model.graph, initializers } }, join(dir, modelFile));
    return graphBytes + offset;
  } finally {
    closeSync(fd);
  }
}
