export { createStorage, s3ConfigFromVariables, type S3Variables, type StorageConfig } from './create';
export { STORAGE_ERROR_CODES, StorageError, isStorageError, type StorageErrorCode } from './errors';
export { createFilesystemStorageHandler } from './filesystem-handler';
export { FilesystemStorage, type FilesystemStorageOptions } from './filesystem';
export {
  RESULT_EXTENSIONS,
  STORAGE_AREAS,
  areaOf,
  assertValidKey,
  storageKeys,
  visibilityOf,
  type ResultExtension,
  type StorageArea,
  type Visibility,
} from './keys';
export { signPresignedToken, verifyPresignedToken, type PresignedClaims } from './presigned-token';
export { S3Storage, type S3StorageOptions } from './s3';
export type {
  ListedObject,
  ObjectInfo,
  ObjectMetadata,
  ObjectStorage,
  ObjectStream,
  PresignedDownloadOptions,
  PresignedUpload,
  PresignedUploadOptions,
  PutOptions,
  PutResult,
  StorageHealth,
} from './types';
export { sweepObjects, verifyUploadedObject } from './upload-checks';
export { uploadToPresignedUrl } from './upload-client';
export { MAX_PRESIGN_SECONDS } from './validation';
