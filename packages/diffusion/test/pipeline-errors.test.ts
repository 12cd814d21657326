import { describe, expect, it } from 'vitest';
import { DiffusionError, fromRuntimeError } from '../src/pipeline/errors';

describe('pipeline error classification', () => {
  it('maps ONNX Runtime allocation failures to a retryable OUT_OF_MEMORY', () => {
    for (const message of [
      "[ONNXRuntimeError] : 6 : RUNTIME_EXCEPTION : Non-zero status code returned while running Conv node. Name:'/conv_in/Conv' Status Message: /onnxruntime_src/onnxruntime/core/framework/bfc_arena.cc:376 void* onnxruntime::BFCArena::AllocateRawInternal(size_t, bool, onnxruntime::Stream*, bool, onnxruntime::WaitNotificationFn) Failed to allocate memory for requested buffer of size 1073741824",
      'CUDA failure 2: out of memory ; GPU=0 ; hostname=gpu ; expr=cudaMalloc((void**)&p, size);',
      'std::bad_alloc',
    ]) {
      const error = fromRuntimeError(new Error(message), 'unet');
      expect(error).toMatchObject({ code: 'OUT_OF_MEMORY', retryable: true });
      expect(error.message).toMatch(/^unet: out of memory/);
    }
  });

  it('treats other runtime failures as retryable INFERENCE_FAILED and keeps typed errors as they are', () => {
    expect(fromRuntimeError(new Error('something odd'), 'vae decoder')).toMatchObject({
      code: 'INFERENCE_FAILED',
      retryable: true,
    });
    const typed = new DiffusionError('LORA_INVALID', 'bad');
    expect(fromRuntimeError(typed, 'x')).toBe(typed);
  });

  it('marks permanent codes as not retryable', () => {
    for (const code of [
      'MODEL_NOT_FOUND',
      'MODEL_INVALID',
      'LORA_INVALID',
      'CUDA_UNAVAILABLE',
      'CANCELLED',
      'INVALID_INPUT',
    ] as const) {
      expect(new DiffusionError(code, 'x').retryable).toBe(false);
    }
  });
});
