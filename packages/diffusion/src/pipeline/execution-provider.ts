import { access } from 'node:fs/promises';
import type { SessionSource } from '../lora/merge';
import { DiffusionError, fromRuntimeError } from './errors';
import { loadOrt, type InferenceSession } from './ort';

/** Where inference runs. CUDA never silently falls back to the CPU: it works or fails with CUDA_UNAVAILABLE. */
export type ExecutionProviderConfig = { provider: 'cpu' } | { provider: 'cuda'; deviceId?: number };

export interface DiffusionLogger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
}

export const consoleLogger: DiffusionLogger = {
  info: (message, fields) => console.info(`[diffusion] ${message}`, fields ?? ''),
  warn: (message, fields) => console.warn(`[diffusion] ${message}`, fields ?? ''),
};

export const silentLogger: DiffusionLogger = { info: () => {}, warn: () => {} };

export function describeProvider(config: ExecutionProviderConfig): string {
  return config.provider === 'cuda' ? `cuda:${config.deviceId ?? 0}` : 'cpu';
}

const CUDA_LOAD_FAILURE =
  /AppendExecutionProvider_Cuda|providers_cuda|libcudart|libcublas|libcudnn|CUDA driver|no CUDA-capable|cudaGetDevice|CUDA failure|invalid device ordinal/i;

/** Creates one ONNX Runtime session for a model component on the configured provider. */
export async function createSession(
  source: SessionSource,
  provider: ExecutionProviderConfig,
  label: string,
): Promise<InferenceSession> {
  const ort = loadOrt();
  if (typeof source.model === 'string') {
    try {
      await access(source.model);
    } catch (error) {
      throw new DiffusionError('MODEL_NOT_FOUND', `${label}: model file missing: ${source.model}`, {
        cause: error,
      });
    }
  }
  if (provider.provider === 'cuda') {
    const deviceId = provider.deviceId ?? 0;
    if (!Number.isInteger(deviceId) || deviceId < 0) {
      throw new DiffusionError(
        'INVALID_INPUT',
        `cuda deviceId must be a non-negative integer, got ${deviceId}`,
      );
    }
  }
  const options: OrtSessionOptions = {
    executionProviders:
      provider.provider === 'cuda' ? [{ name: 'cuda', deviceId: provider.deviceId ?? 0 }] : [{ name: 'cpu' }],
    graphOptimizationLevel: 'all',
    // Warnings about unused initializers and CPU-assigned shape ops are noise for our purposes.
    logSeverityLevel: 3,
    // Several sessions share the cores (text encoder, UNet, VAE, cached styles): idle intra-op
    // threads must sleep, not spin, or they steal the CPU from the session that is running.
    extra: { session: { intra_op: { allow_spinning: '0' }, set_denormal_as_zero: '1' } },
  };
  if (source.externalData) options.externalData = source.externalData;
  try {
    return typeof source.model === 'string'
      ? await ort.InferenceSession.create(source.model, options)
      : await ort.InferenceSession.create(source.model, options);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (provider.provider === 'cuda' && CUDA_LOAD_FAILURE.test(message)) {
      throw new DiffusionError(
        'CUDA_UNAVAILABLE',
        `${label}: the CUDA execution provider is required (${describeProvider(provider)}) but cannot start: ${message}`,
        { cause: error, retryable: false },
      );
    }
    if (
      /protobuf parsing failed|Load model .* failed|ModelProto|invalid model|Unsupported model IR version|No graph was found/i.test(
        message,
      )
    ) {
      throw new DiffusionError('MODEL_INVALID', `${label}: ONNX Runtime cannot load the model: ${message}`, {
        cause: error,
      });
    }
    const wrapped = fromRuntimeError(error, `${label}: creating the session failed`);
    // A model ONNX Runtime refuses to build is a broken model, not a transient fault.
    if (wrapped.code === 'INFERENCE_FAILED') {
      throw new DiffusionError('MODEL_INVALID', wrapped.message, { cause: error });
    }
    throw wrapped;
  }
}

type OrtSessionOptions = import('onnxruntime-node').InferenceSession.SessionOptions & {
  externalData?: { path: string; data: Uint8Array }[];
};
