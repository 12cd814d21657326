import { createRequire } from 'node:module';
import type * as OrtModule from 'onnxruntime-node';

export type Ort = typeof OrtModule;
export type InferenceSession = OrtModule.InferenceSession;
export type OrtTensor = OrtModule.Tensor;

let ort: Ort | undefined;

/**
 * onnxruntime-node is loaded with `require` on purpose: on GPU hosts a CUDA-enabled build is
 * found through NODE_PATH, which ES `import` ignores, and esbuild bundles leave this call alone.
 */
export function loadOrt(): Ort {
  ort ??= createRequire(import.meta.url)('onnxruntime-node') as Ort;
  return ort;
}
