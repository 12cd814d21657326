import { FilesystemStorage, type FilesystemStorageOptions } from './filesystem';
import { S3Storage, type S3StorageOptions } from './s3';
import type { ObjectStorage } from './types';

export type StorageConfig =
  ({ driver: 's3' } & S3StorageOptions) | ({ driver: 'filesystem' } & FilesystemStorageOptions);

/** Builds the configured driver; the caller's env.ts decides which. */
export function createStorage(config: StorageConfig): ObjectStorage {
  return config.driver === 's3' ? new S3Storage(config) : new FilesystemStorage(config);
}
