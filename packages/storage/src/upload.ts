// The browser-safe corner of the package (`@stylelicense/storage/upload`): what a web client
// needs to send bytes to a presigned upload, without the S3 SDK or Node built-ins.
export { STORAGE_ERROR_CODES, StorageError, isStorageError, type StorageErrorCode } from './errors';
export type { PresignedUpload } from './types';
export { uploadToPresignedUrl } from './upload-client';
