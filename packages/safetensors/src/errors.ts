/** Why a safetensors buffer was refused; stable strings callers may branch on. */
export type SafetensorsInvalidReason =
  | 'file_too_small'
  | 'header_length'
  | 'header_json'
  | 'header_structure'
  | 'unknown_dtype'
  | 'bad_shape'
  | 'bad_offsets'
  | 'size_mismatch'
  | 'tensor_missing'
  | 'bad_input';

/** Every refusal of this package: code `SAFETENSORS_INVALID` plus a machine-readable reason. */
export class SafetensorsError extends Error {
  readonly code = 'SAFETENSORS_INVALID' as const;
  constructor(
    readonly reason: SafetensorsInvalidReason,
    message: string,
  ) {
    super(`invalid safetensors (${reason}): ${message}`);
    this.name = 'SafetensorsError';
  }
}

export function isSafetensorsError(error: unknown): error is SafetensorsError {
  return error instanceof SafetensorsError;
}
