import { createHash, randomUUID } from 'node:crypto';
import { mkdir, open, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { Readable } from 'node:stream';
import { StorageError } from './errors';
import type { ObjectInfo, ObjectMetadata } from './types';

/**
 * One object = one file: the content, then a JSON trailer (content type,
 * etag, metadata), its length (uint32 BE) and a 4-byte magic. A single file
 * written to a temporary name and renamed means readers never see a
 * half-written object or content paired with another write's metadata.
 */
const MAGIC = Buffer.from('SLO1');
const FOOTER_BYTES = 8;

interface Trailer {
  contentType: string;
  etag: string;
  metadata: ObjectMetadata;
}

export interface WriteLimits {
  maxBytes?: number;
  contentLength?: number;
}

export function fromFsError(error: unknown, key?: string): StorageError {
  if (error instanceof StorageError) return error;
  const code = (error as { code?: string }).code;
  const options = { cause: error, key };
  switch (code) {
    case 'ENOENT':
      return new StorageError('STORAGE_NOT_FOUND', `Object not found: ${key ?? ''}`, options);
    case 'ENOTDIR':
    case 'EISDIR':
    case 'EEXIST':
      return new StorageError(
        'STORAGE_INVALID_KEY',
        `Key conflicts with an existing key prefix: ${key ?? ''}`,
        options,
      );
    case 'EACCES':
    case 'EPERM':
    case 'EROFS':
      return new StorageError(
        'STORAGE_ACCESS_DENIED',
        `Storage directory not writable: ${String(error)}`,
        options,
      );
    default:
      return new StorageError('STORAGE_UNAVAILABLE', `Storage failed: ${String(error)}`, options);
  }
}

async function* chunksOf(body: Uint8Array | Readable): AsyncIterable<Uint8Array> {
  if (body instanceof Uint8Array) {
    yield body;
    return;
  }
  for await (const chunk of body)
    yield typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
}

/** write(2) may write less than asked (e.g. a full disk): keep going until done or an error. */
async function writeAll(handle: FileHandle, chunk: Uint8Array): Promise<void> {
  for (let offset = 0; offset < chunk.byteLength;) {
    const { bytesWritten } = await handle.write(chunk, offset, chunk.byteLength - offset);
    if (bytesWritten === 0) throw new StorageError('STORAGE_UNAVAILABLE', 'The disk accepted no more bytes');
    offset += bytesWritten;
  }
}

export async function writeObjectFile(
  tmpDir: string,
  finalPath: string,
  key: string,
  body: Uint8Array | Readable,
  meta: { contentType: string; metadata: ObjectMetadata },
  limits: WriteLimits,
): Promise<{ etag: string; size: number }> {
  const tmpPath = path.join(tmpDir, randomUUID());
  const hash = createHash('md5');
  let size = 0;
  let handle: FileHandle | undefined;
  try {
    handle = await open(tmpPath, 'wx');
    for await (const chunk of chunksOf(body)) {
      size += chunk.byteLength;
      if (limits.maxBytes !== undefined && size > limits.maxBytes) {
        throw new StorageError('STORAGE_UPLOAD_TOO_LARGE', `Upload exceeds ${limits.maxBytes} bytes`, {
          key,
        });
      }
      hash.update(chunk);
      await writeAll(handle, chunk);
    }
    if (limits.contentLength !== undefined && limits.contentLength !== size) {
      throw new StorageError(
        'STORAGE_INVALID_REQUEST',
        `Body has ${size} bytes, ${limits.contentLength} declared`,
        { key },
      );
    }
    const etag = hash.digest('hex');
    const trailer = Buffer.from(
      JSON.stringify({ contentType: meta.contentType, etag, metadata: meta.metadata } satisfies Trailer),
    );
    const footer = Buffer.alloc(FOOTER_BYTES);
    footer.writeUInt32BE(trailer.length, 0);
    MAGIC.copy(footer, 4);
    await writeAll(handle, Buffer.concat([trailer, footer]));
    await handle.close();
    handle = undefined;
    await mkdir(path.dirname(finalPath), { recursive: true });
    await rename(tmpPath, finalPath);
    return { etag, size };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await rm(tmpPath, { force: true });
    throw fromFsError(error, key);
  }
}

/**
 * Opens an object and reads its trailer; null when it does not exist. The
 * caller owns the handle: reading content through it stays consistent even
 * if the key is overwritten meanwhile (the old file lives on until closed).
 */
export async function openObject(
  filePath: string,
  key: string,
): Promise<{ info: ObjectInfo; handle: FileHandle } | null> {
  let handle: FileHandle | undefined;
  try {
    handle = await open(filePath, 'r');
    const stat = await handle.stat();
    if (!stat.isFile()) throw Object.assign(new Error('not a file'), { code: 'EISDIR' });
    const footer = Buffer.alloc(FOOTER_BYTES);
    if (stat.size >= FOOTER_BYTES) await handle.read(footer, 0, FOOTER_BYTES, stat.size - FOOTER_BYTES);
    const trailerLength = footer.readUInt32BE(0);
    if (
      stat.size < FOOTER_BYTES ||
      !footer.subarray(4).equals(MAGIC) ||
      trailerLength > stat.size - FOOTER_BYTES
    ) {
      throw new StorageError('STORAGE_UNAVAILABLE', `Corrupt object file for ${key}`, { key });
    }
    const size = stat.size - FOOTER_BYTES - trailerLength;
    const raw = Buffer.alloc(trailerLength);
    await handle.read(raw, 0, trailerLength, size);
    const trailer = JSON.parse(raw.toString('utf8')) as Trailer;
    const info = {
      key,
      size,
      contentType: trailer.contentType,
      etag: trailer.etag,
      lastModified: stat.mtime,
      metadata: trailer.metadata,
    };
    return { info, handle };
  } catch (error) {
    await handle?.close().catch(() => undefined);
    const code = (error as { code?: string }).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null;
    throw fromFsError(error, key);
  }
}

/** The content bytes of an opened object; closes the handle when done. */
export function contentStream(opened: { info: ObjectInfo; handle: FileHandle }): Readable {
  if (opened.info.size === 0) {
    void opened.handle.close();
    return Readable.from([]);
  }
  return opened.handle.createReadStream({ start: 0, end: opened.info.size - 1, autoClose: true });
}
