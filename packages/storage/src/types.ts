import type { Readable } from 'node:stream';

/** User metadata: lower-case keys (letters, digits, '-'), any string values. */
export type ObjectMetadata = Record<string, string>;

export interface PutOptions {
  contentType: string;
  metadata?: ObjectMetadata;
  /** Needed by S3 to stream a body without buffering it; checked against the bytes written. */
  contentLength?: number;
}

export interface PutResult {
  /** Hex MD5 of the content for single-part writes (both drivers); treat as opaque. */
  etag: string;
  size: number;
}

export interface ObjectInfo {
  key: string;
  size: number;
  contentType: string;
  etag: string;
  lastModified: Date;
  metadata: ObjectMetadata;
}

export interface ListedObject {
  key: string;
  size: number;
  lastModified: Date;
}

export interface ObjectStream {
  info: ObjectInfo;
  body: Readable;
}

export interface PresignedUploadOptions {
  /** The only content type the upload may declare. */
  contentType: string;
  /** Largest accepted body in bytes. */
  maxBytes: number;
  /** Seconds until the URL stops working (1 s .. 7 days). */
  expiresIn: number;
}

export interface PresignedDownloadOptions {
  expiresIn: number;
  /** Suggest a file name to browsers (Content-Disposition: attachment). */
  downloadName?: string;
}

/**
 * How a client sends the bytes. S3 uses a POST form whose signed policy
 * carries the size range; the filesystem driver uses a PUT to the API's
 * storage route. `uploadToPresignedUrl()` speaks both.
 */
export type PresignedUpload =
  | {
      method: 'POST';
      url: string;
      /** Form fields to send before the `file` part, in this order. */
      fields: Record<string, string>;
      key: string;
      maxBytes: number;
      expiresAt: Date;
    }
  | {
      method: 'PUT';
      url: string;
      /** Headers the PUT must carry (Content-Type). */
      headers: Record<string, string>;
      key: string;
      maxBytes: number;
      expiresAt: Date;
    };

export type StorageHealth = { ok: true; latencyMs: number } | { ok: false; latencyMs: number; error: string };

export interface ObjectStorage {
  readonly driver: 's3' | 'filesystem';
  /** Creates the bucket / root directory when missing; call once at startup. */
  ensureBucket(): Promise<void>;
  put(key: string, body: Uint8Array | Readable, options: PutOptions): Promise<PutResult>;
  /** The whole object in memory; STORAGE_NOT_FOUND when missing. */
  get(key: string): Promise<Buffer>;
  /** The object as a stream; STORAGE_NOT_FOUND when missing. */
  getStream(key: string): Promise<ObjectStream>;
  /** Null when the object does not exist. */
  head(key: string): Promise<ObjectInfo | null>;
  /** Idempotent: deleting a missing object succeeds. */
  delete(key: string): Promise<void>;
  /** Server-side copy (e.g. promote a staged upload); STORAGE_NOT_FOUND when the source is missing. */
  copy(fromKey: string, toKey: string): Promise<void>;
  /** Every object whose key starts with `prefix`, in key order, paged internally. */
  list(prefix: string): AsyncIterable<ListedObject>;
  presignedUpload(key: string, options: PresignedUploadOptions): Promise<PresignedUpload>;
  presignedDownload(key: string, options: PresignedDownloadOptions): Promise<string>;
  checkHealth(): Promise<StorageHealth>;
}
