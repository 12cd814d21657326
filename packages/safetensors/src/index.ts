export { DTYPE_BYTES, isDtype, type Dtype } from './dtypes';
export { SafetensorsError, isSafetensorsError, type SafetensorsInvalidReason } from './errors';
export { bf16BitsToFloat, floatToBf16Bits, floatToHalfBits, halfBitsToFloat } from './float16';
export { MAX_HEADER_BYTES, parseSafetensorsHeader, type SafetensorsHeader, type TensorInfo } from './header';
export {
  decodeToFloat32,
  getTensorInfo,
  parseSafetensors,
  tensorBytes,
  tensorToFloat32,
  type SafetensorsFile,
} from './tensor';
export { readSafetensorsFile, readSafetensorsHeader } from './file';
export {
  encodeSafetensors,
  writeSafetensorsFile,
  type FloatTensorInput,
  type RawTensorInput,
  type TensorInput,
  type TensorInputs,
} from './write';
