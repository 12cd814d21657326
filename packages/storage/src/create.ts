import { FilesystemStorage, type FilesystemStorageOptions } from './filesystem';
import { S3Storage, type S3StorageOptions } from './s3';
import type { ObjectStorage } from './types';

export type StorageConfig =
  ({ driver: 's3' } & S3StorageOptions) | ({ driver: 'filesystem' } & FilesystemStorageOptions);

/** Builds the configured driver; the caller's env.ts decides which. */
export function createStorage(config: StorageConfig): ObjectStorage {
  return config.driver === 's3' ? new S3Storage(config) : new FilesystemStorage(config);
}

/** The S3_* settings every process reads under the same names (validated by its own env.ts). */
export interface S3Variables {
  S3_BUCKET?: string;
  S3_REGION: string;
  S3_ENDPOINT?: string;
  /** The endpoint browsers reach, when it differs (only processes that hand out URLs set it). */
  S3_PUBLIC_ENDPOINT?: string;
  S3_FORCE_PATH_STYLE: boolean;
  S3_ACCESS_KEY_ID?: string;
  S3_SECRET_ACCESS_KEY?: string;
}

/** The S3 driver's options from those settings; credentials only when both halves are given. */
export function s3ConfigFromVariables(v: S3Variables): StorageConfig {
  if (!v.S3_BUCKET) throw new Error('S3_BUCKET is required with STORAGE_DRIVER=s3');
  return {
    driver: 's3',
    bucket: v.S3_BUCKET,
    region: v.S3_REGION,
    endpoint: v.S3_ENDPOINT,
    ...(v.S3_PUBLIC_ENDPOINT ? { publicEndpoint: v.S3_PUBLIC_ENDPOINT } : {}),
    forcePathStyle: v.S3_FORCE_PATH_STYLE,
    credentials:
      v.S3_ACCESS_KEY_ID && v.S3_SECRET_ACCESS_KEY
        ? { accessKeyId: v.S3_ACCESS_KEY_ID, secretAccessKey: v.S3_SECRET_ACCESS_KEY }
        : undefined,
  };
}
