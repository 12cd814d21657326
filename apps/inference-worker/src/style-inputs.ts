import { createHash, randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { StorageError, type ObjectStorage } from '@stylelicense/storage';
import type { WorkerLog } from './config';
import { missingInput } from './failures';

// The inputs a job names by storage key: the style's LoRA (a file on local disk, because the
// diffusion LoRA store decodes it from a path, keyed by path, size and mtime) and the
// artist's signature (bytes in memory). Both are revalidated by etag on every job, so a style
// retrained under the same key or a new signature is picked up at once.

const keyHash = (key: string): string => createHash('sha256').update(key).digest('hex').slice(0, 24);
const safeEtag = (etag: string): string => etag.replace(/[^A-Za-z0-9]/g, '').slice(0, 64) || 'none';

export interface LoraFile {
  path: string;
  etag: string;
  downloaded: boolean;
}

/** Style LoRA files on local disk, named `<hash of key>-<etag>.safetensors`, least recently used evicted. */
export class LoraCache {
  private readonly lastUsed = new Map<string, number>();
  /** Fetches served from disk, and fetches that downloaded the file. */
  readonly counts = { hits: 0, misses: 0 };

  constructor(
    private readonly dir: string,
    private readonly budgetBytes: number,
    private readonly storage: ObjectStorage,
    private readonly log: WorkerLog,
  ) {}

  async fetch(key: string): Promise<LoraFile> {
    let info;
    try {
      info = await this.storage.head(key);
    } catch (error) {
      throw missingInput(error, 'MODEL_NOT_FOUND', `style LoRA ${key}`);
    }
    if (!info)
      throw missingInput(
        new StorageError('STORAGE_NOT_FOUND', 'missing', { key }),
        'MODEL_NOT_FOUND',
        `style LoRA ${key}`,
      );
    const prefix = keyHash(key);
    const path = join(this.dir, `${prefix}-${safeEtag(info.etag)}.safetensors`);
    this.lastUsed.set(path, Date.now());
    if (await exists(path)) {
      this.counts.hits++;
      return { path, etag: info.etag, downloaded: false };
    }
    this.counts.misses++;

    await mkdir(this.dir, { recursive: true });
    const partial = join(this.dir, `.${prefix}-${randomUUID()}.partial`);
    try {
      const object = await this.storage.getStream(key).catch((error: unknown) => {
        throw missingInput(error, 'MODEL_NOT_FOUND', `style LoRA ${key}`);
      });
      await pipeline(object.body, createWriteStream(partial));
      await rename(partial, path); // readers never see half a file
    } catch (error) {
      await rm(partial, { force: true });
      throw error;
    }
    this.log.info({ key, bytes: info.size }, 'style LoRA downloaded');
    await this.evict(prefix, path);
    return { path, etag: info.etag, downloaded: true };
  }

  /** Drops older versions of the same key, then the least recently used files over the budget. */
  private async evict(prefix: string, keep: string): Promise<void> {
    const files = await Promise.all(
      (await readdir(this.dir))
        .filter((name) => name.endsWith('.safetensors'))
        .map(async (name) => {
          const path = join(this.dir, name);
          const { size, mtimeMs } = await stat(path);
          return { name, path, size, used: this.lastUsed.get(path) ?? mtimeMs };
        }),
    );
    let total = files.reduce((sum, file) => sum + file.size, 0);
    for (const file of files.sort((a, b) => a.used - b.used)) {
      if (file.path === keep) continue;
      if (file.name.startsWith(`${prefix}-`) || total > this.budgetBytes) {
        await rm(file.path, { force: true });
        this.lastUsed.delete(file.path);
        total -= file.size;
      }
    }
  }
}

export interface SignatureImage {
  bytes: Buffer;
  /** Key + etag: what imaging's prepared-signature cache is keyed by. */
  cacheKey: string;
}

/** Artists' signature PNGs in memory (a few KB each), revalidated by etag. */
export class SignatureCache {
  private readonly entries = new Map<string, { etag: string; bytes: Buffer }>();

  constructor(
    private readonly storage: ObjectStorage,
    private readonly maxEntries = 256,
  ) {}

  async fetch(key: string): Promise<SignatureImage> {
    try {
      const info = await this.storage.head(key);
      if (!info) throw new StorageError('STORAGE_NOT_FOUND', `no object at ${key}`, { key });
      let entry = this.entries.get(key);
      if (entry?.etag !== info.etag) {
        entry = { etag: info.etag, bytes: await this.storage.get(key) };
      }
      this.entries.delete(key); // re-insert: Map order is the recency order
      this.entries.set(key, entry);
      for (const oldest of this.entries.keys()) {
        if (this.entries.size <= this.maxEntries) break;
        this.entries.delete(oldest);
      }
      return { bytes: entry.bytes, cacheKey: `${key}@${entry.etag}` };
    } catch (error) {
      throw missingInput(error, 'SIGNATURE_MISSING', `artist signature ${key}`);
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}
