import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createStorage, s3ConfigFromVariables, type ObjectStorage } from '@stylelicense/storage';
import type { ApiConfig } from '../env';
import type { ReadinessProbe } from './health';

/** Where the filesystem driver's presigned URLs point; `createApp` mounts the driver's route here. */
export const STORAGE_ROUTE = '/api/storage';

/** The configured object storage: S3 (or compatible) in production, files under DATA_DIR/storage otherwise. */
export function storageFromConfig(config: ApiConfig): ObjectStorage {
  if (config.STORAGE_DRIVER === 's3') return createStorage(s3ConfigFromVariables(config));
  return createStorage({
    driver: 'filesystem',
    root: join(config.DATA_DIR, 'storage'),
    publicBaseUrl: `${config.PUBLIC_URL.replace(/\/+$/, '')}${STORAGE_ROUTE}`,
    // Outside production a per-process key is enough: presigned URLs live for minutes.
    signingSecret: config.STORAGE_SIGNING_SECRET ?? randomBytes(32),
  });
}

export function storageProbe(storage: ObjectStorage): ReadinessProbe {
  return {
    name: 'storage',
    async check() {
      const health = await storage.checkHealth();
      if (!health.ok) throw new Error(health.error);
      return { driver: storage.driver };
    },
  };
}
