import {
  CopyObjectCommand,
  CreateBucketCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadBucketCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { createPresignedPost } from '@aws-sdk/s3-presigned-post';
import { getSignedUrl } from '@aws-sdk/s3-request-presigner';
import { Readable } from 'node:stream';
import { StorageError } from './errors';
import { assertValidKey, assertValidPrefix } from './keys';
import { fromS3Error } from './s3-errors';
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
  PutResult,
} from './types';
import {
  attachmentDisposition,
  normalizeContentType,
  validateDownloadOptions,
  validateMetadata,
  validateUploadOptions,
} from './validation';

export interface S3StorageOptions {
  bucket: string;
  region: string;
  /** For S3-compatible stores (MinIO, s3rver); omit for AWS. */
  endpoint?: string;
  /**
   * The endpoint browsers reach, when it differs from `endpoint` (compose:
   * the API talks to `http://minio:9000`, browsers to `http://localhost:9000`).
   * Only presigned URLs use it.
   */
  publicEndpoint?: string;
  forcePathStyle?: boolean;
  /** Omit to use the SDK's default credential chain (instance role etc.). */
  credentials?: { accessKeyId: string; secretAccessKey: string; sessionToken?: string };
  /** SDK attempts per call, including the first (default 3). */
  maxAttempts?: number;
  requestTimeoutMs?: number;
  connectionTimeoutMs?: number;
  /** Keys per ListObjectsV2 page (S3's maximum and default: 1000). */
  listPageSize?: number;
}

// Metadata travels in HTTP headers, which only carry ASCII: values are
// percent-encoded on write and decoded on read, so any string round-trips.
const encodeMetadata = (metadata: ObjectMetadata) =>
  Object.fromEntries(Object.entries(metadata).map(([k, v]) => [k, encodeURIComponent(v)]));
const decodeMetadata = (metadata: Record<string, string> | undefined): ObjectMetadata =>
  Object.fromEntries(
    Object.entries(metadata ?? {}).map(([k, v]) => {
      try {
        return [k, decodeURIComponent(v)];
      } catch {
        return [k, v]; // written by another tool, not percent-encoded
      }
    }),
  );
const unquote = (etag: string | undefined) => (etag ?? '').replace(/^W\//, '').replace(/"/g, '');

/** What GetObject and HeadObject both answer about an object. */
interface ObjectHeaders {
  ContentLength?: number | undefined;
  ContentType?: string | undefined;
  ETag?: string | undefined;
  LastModified?: Date | undefined;
  Metadata?: Record<string, string> | undefined;
}

const objectInfo = (key: string, out: ObjectHeaders): ObjectInfo => ({
  key,
  size: out.ContentLength ?? 0,
  contentType: out.ContentType ?? 'application/octet-stream',
  etag: unquote(out.ETag),
  lastModified: out.LastModified ?? new Date(0),
  metadata: decodeMetadata(out.Metadata),
});

export class S3Storage implements ObjectStorage {
  readonly driver = 's3' as const;
  readonly bucket: string;
  private readonly client: S3Client;
  private readonly presignClient: S3Client;
  private readonly listPageSize: number;

  constructor(options: S3StorageOptions) {
    if (!options.bucket || options.bucket.length < 3) {
      throw new StorageError('STORAGE_INVALID_REQUEST', 'S3 bucket names need at least 3 characters');
    }
    this.bucket = options.bucket;
    this.listPageSize = options.listPageSize ?? 1000;
    const base: S3ClientConfig = {
      region: options.region,
      forcePathStyle: options.forcePathStyle ?? false,
      credentials: options.credentials,
      maxAttempts: options.maxAttempts ?? 3,
      // Checksums only where S3 requires them: S3-compatible stores (s3rver,
      // older MinIO) mis-store the aws-chunked bodies the default mode sends.
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      requestHandler: {
        requestTimeout: options.requestTimeoutMs ?? 30_000,
        connectionTimeout: options.connectionTimeoutMs ?? 5_000,
      },
    };
    this.client = new S3Client({ ...base, endpoint: options.endpoint });
    this.presignClient =
      options.publicEndpoint === undefined
        ? this.client
        : new S3Client({ ...base, endpoint: options.publicEndpoint });
  }

  async ensureBucket(): Promise<void> {
    try {
      await this.client.send(new HeadBucketCommand({ Bucket: this.bucket }));
      return;
    } catch (error) {
      const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
      if (status !== 404) throw fromS3Error(error);
    }
    try {
      await this.client.send(new CreateBucketCommand({ Bucket: this.bucket }));
    } catch (error) {
      // Another instance created it between our HEAD and CREATE.
      if ((error as { name?: string }).name !== 'BucketAlreadyOwnedByYou') throw fromS3Error(error);
    }
  }

  async put(key: string, body: Uint8Array | Readable, options: PutOptions): Promise<PutResult> {
    assertValidKey(key);
    const contentType = normalizeContentType(options.contentType);
    const metadata = encodeMetadata(validateMetadata(options.metadata));
    // A stream of unknown length cannot be sent in one PutObject: buffer it.
    const payload =
      body instanceof Readable && options.contentLength === undefined ? await collect(body) : body;
    const size = payload instanceof Readable ? options.contentLength! : payload.byteLength;
    if (options.contentLength !== undefined && options.contentLength !== size) {
      throw new StorageError(
        'STORAGE_INVALID_REQUEST',
        `contentLength ${options.contentLength} ≠ body size ${size}`,
        { key },
      );
    }
    try {
      const out = await this.client.send(
        new PutObjectCommand({
          Bucket: this.bucket,
          Key: key,
          Body: payload,
          ContentType: contentType,
          ContentLength: size,
          Metadata: metadata,
        }),
      );
      return { etag: unquote(out.ETag), size };
    } catch (error) {
      throw fromS3Error(error, key);
    }
  }

  async get(key: string): Promise<Buffer> {
    const { body } = await this.getStream(key);
    return collect(body);
  }

  async getStream(key: string): Promise<ObjectStream> {
    assertValidKey(key);
    try {
      const out = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      if (!(out.Body instanceof Readable)) {
        throw new StorageError('STORAGE_UNAVAILABLE', 'S3 returned no readable body', { key });
      }
      return { info: objectInfo(key, out), body: out.Body };
    } catch (error) {
      throw fromS3Error(error, key);
    }
  }

  async head(key: string): Promise<ObjectInfo | null> {
    assertValidKey(key);
    try {
      const out = await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key: key }));
      return objectInfo(key, out);
    } catch (error) {
      const mapped = fromS3Error(error, key);
      if (mapped.code === 'STORAGE_NOT_FOUND') return null;
      throw mapped;
    }
  }

  async delete(key: string): Promise<void> {
    assertValidKey(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: key }));
    } catch (error) {
      const mapped = fromS3Error(error, key);
      if (mapped.code !== 'STORAGE_NOT_FOUND') throw mapped;
    }
  }

  async copy(fromKey: string, toKey: string): Promise<void> {
    assertValidKey(fromKey);
    assertValidKey(toKey);
    try {
      // Keys are restricted to URL-safe characters (see keys.ts), so no encoding is needed.
      await this.client.send(
        new CopyObjectCommand({ Bucket: this.bucket, Key: toKey, CopySource: `${this.bucket}/${fromKey}` }),
      );
    } catch (error) {
      throw fromS3Error(error, fromKey);
    }
  }

  async *list(prefix: string): AsyncIterable<ListedObject> {
    assertValidPrefix(prefix);
    let token: string | undefined;
    do {
      let page;
      try {
        page = await this.client.send(
          new ListObjectsV2Command({
            Bucket: this.bucket,
            Prefix: prefix,
            ContinuationToken: token,
            MaxKeys: this.listPageSize,
          }),
        );
      } catch (error) {
        throw fromS3Error(error);
      }
      for (const object of page.Contents ?? []) {
        if (object.Key === undefined) continue;
        yield { key: object.Key, size: object.Size ?? 0, lastModified: object.LastModified ?? new Date(0) };
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token !== undefined);
  }

  /**
   * A presigned POST form. Its signed policy pins the key, the exact
   * Content-Type and `content-length-range` [1, maxBytes], so S3 itself
   * rejects larger bodies (EntityTooLarge) without the client declaring its
   * size up front — which a presigned PUT with a signed Content-Length would
   * need. Test servers such as s3rver ignore policies: callers re-check the
   * stored object with `verifyUploadedObject()` either way.
   */
  async presignedUpload(key: string, options: PresignedUploadOptions): Promise<PresignedUpload> {
    assertValidKey(key);
    const { contentType, maxBytes, expiresIn } = validateUploadOptions(options);
    try {
      const { url, fields } = await createPresignedPost(this.presignClient, {
        Bucket: this.bucket,
        Key: key,
        Conditions: [
          ['content-length-range', 1, maxBytes],
          ['eq', '$Content-Type', contentType],
        ],
        Fields: { 'Content-Type': contentType },
        Expires: expiresIn,
      });
      return {
        method: 'POST',
        url,
        fields,
        key,
        maxBytes,
        expiresAt: new Date(Date.now() + expiresIn * 1000),
      };
    } catch (error) {
      throw fromS3Error(error, key);
    }
  }

  async presignedDownload(key: string, options: PresignedDownloadOptions): Promise<string> {
    assertValidKey(key);
    const { expiresIn, downloadName } = validateDownloadOptions(options);
    try {
      return await getSignedUrl(
        this.presignClient,
        new GetObjectCommand({
          Bucket: this.bucket,
          Key: key,
          ResponseContentDisposition:
            downloadName === undefined ? undefined : attachmentDisposition(downloadName),
        }),
        { expiresIn },
      );
    } catch (error) {
      throw fromS3Error(error, key);
    }
  }

  checkHealth() {
    return timed(() => this.client.send(new HeadBucketCommand({ Bucket: this.bucket })), fromS3Error);
  }

  /** Closes the SDK's sockets (tests, graceful shutdown). */
  destroy(): void {
    this.client.destroy();
    if (this.presignClient !== this.client) this.presignClient.destroy();
  }
}
