import { constants } from 'node:fs';
import { access, copyFile, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { StorageError } from './errors';
import {
  contentStream,
  fromFsError,
  openObject,
  writeObjectFile,
  type WriteLimits,
} from './filesystem-object';
import { assertValidKey, assertValidPrefix } from './keys';
import {
  assertSigningSecret,
  signPresignedToken,
  verifyPresignedToken,
  type PresignedClaims,
} from './presigned-token';
import { collect, timed } from './streams';
import type {
  ListedObject,
  ObjectInfo,
  ObjectMetadata,
  ObjectStorage,
  ObjectStream,
  PresignedDownloadOptions,
  PresignedUpload,
  PresignedUploadOptions,
  PutOptions,
} from './types';
import {
  normalizeContentType,
  validateDownloadOptions,
  validateMetadata,
  validateUploadOptions,
} from './validation';

export interface FilesystemStorageOptions {
  /** Directory holding the objects (created by ensureBucket). */
  root: string;
  /**
   * Absolute URL where the API mounts `createFilesystemStorageHandler()`,
   * e.g. `http://localhost:3000/api/storage`. Presigned URLs point there.
   */
  publicBaseUrl: string;
  /** HMAC key for presigned URLs, ≥ 32 bytes. */
  signingSecret: string | Uint8Array;
}

/** The embedded default: objects as files under one directory, presigned URLs served by the API. */
export class FilesystemStorage implements ObjectStorage {
  readonly driver = 'filesystem' as const;
  readonly root: string;
  private readonly objectsDir: string;
  private readonly tmpDir: string;
  private readonly baseUrl: string;
  private readonly secret: string | Uint8Array;

  constructor(options: FilesystemStorageOptions) {
    assertSigningSecret(options.signingSecret);
    let base: URL;
    try {
      base = new URL(options.publicBaseUrl);
    } catch {
      throw new StorageError(
        'STORAGE_INVALID_REQUEST',
        `publicBaseUrl must be an absolute URL: ${options.publicBaseUrl}`,
      );
    }
    this.root = path.resolve(options.root);
    this.objectsDir = path.join(this.root, 'objects');
    this.tmpDir = path.join(this.root, 'tmp');
    this.baseUrl = base.href.replace(/\/+$/, '');
    this.secret = options.signingSecret;
  }

  async ensureBucket(): Promise<void> {
    try {
      await mkdir(this.objectsDir, { recursive: true });
      await mkdir(this.tmpDir, { recursive: true });
    } catch (error) {
      throw fromFsError(error);
    }
  }

  private pathOf(key: string): string {
    assertValidKey(key); // only safe segments: the path cannot leave objectsDir
    return path.join(this.objectsDir, ...key.split('/'));
  }

  put(key: string, body: Uint8Array | Readable, options: PutOptions) {
    return this.write(key, body, options, { contentLength: options.contentLength });
  }

  /** put() with an upload's size limit; used by the presigned-upload route. */
  async write(key: string, body: Uint8Array | Readable, options: PutOptions, limits: WriteLimits) {
    const file = this.pathOf(key);
    const contentType = normalizeContentType(options.contentType);
    const metadata: ObjectMetadata = validateMetadata(options.metadata);
    await mkdir(this.tmpDir, { recursive: true }).catch((error: unknown) => {
      throw fromFsError(error, key);
    });
    return writeObjectFile(this.tmpDir, file, key, body, { contentType, metadata }, limits);
  }

  async get(key: string): Promise<Buffer> {
    return collect((await this.getStream(key)).body);
  }

  async getStream(key: string): Promise<ObjectStream> {
    const opened = await openObject(this.pathOf(key), key);
    if (opened === null) throw new StorageError('STORAGE_NOT_FOUND', `Object not found: ${key}`, { key });
    return { info: opened.info, body: contentStream(opened) };
  }

  async head(key: string): Promise<ObjectInfo | null> {
    const opened = await openObject(this.pathOf(key), key);
    if (opened === null) return null;
    await opened.handle.close();
    return opened.info;
  }

  async delete(key: string): Promise<void> {
    const file = this.pathOf(key);
    try {
      const info = await stat(file);
      if (info.isFile()) await rm(file, { force: true });
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code !== 'ENOENT' && code !== 'ENOTDIR') throw fromFsError(error, key);
    }
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    const source = this.pathOf(fromKey);
    const target = this.pathOf(toKey);
    if ((await this.head(fromKey)) === null) {
      throw new StorageError('STORAGE_NOT_FOUND', `Object not found: ${fromKey}`, { key: fromKey });
    }
    // Copy beside the target's name, then rename: the target appears whole or not at all.
    const tmp = path.join(this.tmpDir, randomUUID());
    try {
      await copyFile(source, tmp);
      await mkdir(path.dirname(target), { recursive: true });
      await rename(tmp, target);
    } catch (error) {
      await rm(tmp, { force: true });
      throw fromFsError(error, fromKey);
    }
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    assertValidPrefix(prefix);
    // Walk only the directory that can hold matches, then filter by the full prefix.
    const dirPart = prefix.includes('/') ? prefix.slice(0, prefix.lastIndexOf('/')) : '';
    const start = path.join(this.objectsDir, ...dirPart.split('/').filter(Boolean));
    let entries: string[];
    try {
      entries = (await readdir(start, { recursive: true, withFileTypes: true }))
        .filter((entry) => entry.isFile())
        .map((entry) =>
          path.relative(this.objectsDir, path.join(entry.parentPath, entry.name)).split(path.sep).join('/'),
        );
    } catch (error) {
      const code = (error as { code?: string }).code;
      if (code === 'ENOENT' || code === 'ENOTDIR') return;
      throw fromFsError(error);
    }
    const keys = entries.filter((key) => key.startsWith(prefix)).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const key of keys) {
      const info = await this.head(key);
      if (info !== null) yield { key, size: info.size, lastModified: info.lastModified };
    }
  }

  async presignedUpload(key: string, options: PresignedUploadOptions): Promise<PresignedUpload> {
    assertValidKey(key);
    const { contentType, maxBytes, expiresIn } = validateUploadOptions(options);
    const expiresAt = Math.floor(Date.now() / 1000) + expiresIn;
    const url = this.urlFor({ method: 'PUT', key, expiresAt, contentType, maxBytes });
    return {
      method: 'PUT',
      url,
      headers: { 'Content-Type': contentType },
      key,
      maxBytes,
      expiresAt: new Date(expiresAt * 1000),
    };
  }

  async presignedDownload(key: string, options: PresignedDownloadOptions): Promise<string> {
    assertValidKey(key);
    const { expiresIn, downloadName } = validateDownloadOptions(options);
    return this.urlFor({
      method: 'GET',
      key,
      expiresAt: Math.floor(Date.now() / 1000) + expiresIn,
      downloadName,
    });
  }

  /** Checks a presigned URL's token (HEAD requests pass 'GET'). */
  verifyToken(
    token: string | null | undefined,
    expected: { method: 'GET' | 'PUT'; key: string; now?: Date },
  ): PresignedClaims {
    return verifyPresignedToken(this.secret, token, expected);
  }

  checkHealth() {
    return timed(
      () => access(this.objectsDir, constants.R_OK | constants.W_OK),
      (error) => fromFsError(error),
    );
  }

  private urlFor(claims: PresignedClaims): string {
    return `${this.baseUrl}/${claims.key}?token=${signPresignedToken(this.secret, claims)}`;
  }
}
