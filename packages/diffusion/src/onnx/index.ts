export { decodeModel } from './decode';
export { encodeModel, writeModelFile, PROTOBUF_LIMIT } from './encode';
export {
  encodeModelWithExternalData,
  writeModelWithExternalData,
  type ExternalDataOptions,
} from './external';
export { GraphBuilder, type AttrValue, type NodeOptions } from './builder';
export {
  DataType,
  elementSize,
  type DataTypeValue,
  type OnnxAttribute,
  type OnnxDim,
  type OnnxGraph,
  type OnnxModel,
  type OnnxNode,
  type OnnxOpset,
  type OnnxTensor,
  type OnnxValueInfo,
  type StringEntry,
} from './model';
export { OnnxFormatError, type LazyBytes } from './proto';
export {
  elementCount,
  findInitializer,
  float16BytesToFloat32,
  float32ToFloat16Bytes,
  float32ToHalfBits,
  fromHalfBits,
  getInitializerFloats,
  halfTable,
  halfToFloat32,
  loadExternalData,
  setInitializerFloats,
  tensorBytes,
  toHalfBits,
} from './tensor';
