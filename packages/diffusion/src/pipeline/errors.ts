/** Stable failure codes of the text-to-image pipeline; the worker maps them to job outcomes. */
export type DiffusionErrorCode =
  | 'MODEL_NOT_FOUND'
  | 'MODEL_INVALID'
  | 'LORA_INVALID'
  | 'CUDA_UNAVAILABLE'
  | 'CANCELLED'
  | 'OUT_OF_MEMORY'
  | 'INVALID_INPUT'
  | 'INFERENCE_FAILED';

// Only resource exhaustion and unexplained runtime failures may succeed on another attempt.
const RETRYABLE: ReadonlySet<DiffusionErrorCode> = new Set(['OUT_OF_MEMORY', 'INFERENCE_FAILED']);

export class DiffusionError extends Error {
  readonly code: DiffusionErrorCode;
  readonly retryable: boolean;

  constructor(code: DiffusionErrorCode, message: string, options?: { cause?: unknown; retryable?: boolean }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'DiffusionError';
    this.code = code;
    this.retryable = options?.retryable ?? RETRYABLE.has(code);
  }
}

export function isDiffusionError(error: unknown): error is DiffusionError {
  return error instanceof DiffusionError;
}

const OOM_PATTERN =
  /out of memory|failed to allocate|bad_alloc|cudaErrorMemoryAllocation|CUDA_ERROR_OUT_OF_MEMORY|BFCArena.*allocate/i;

/** Wraps an ONNX Runtime failure: allocation failures become OUT_OF_MEMORY, the rest INFERENCE_FAILED. */
export function fromRuntimeError(error: unknown, context: string): DiffusionError {
  if (error instanceof DiffusionError) return error;
  const message = error instanceof Error ? error.message : String(error);
  if (OOM_PATTERN.test(message)) {
    return new DiffusionError('OUT_OF_MEMORY', `${context}: out of memory (${message})`, { cause: error });
  }
  return new DiffusionError('INFERENCE_FAILED', `${context}: ${message}`, { cause: error });
}
