import type { IncomingMessage, ServerResponse } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { isStorageError, StorageError, type StorageErrorCode } from './errors';
import type { FilesystemStorage } from './filesystem';
import { assertValidKey } from './keys';
import { attachmentDisposition, contentTypeEssence } from './validation';

const STATUS: Partial<Record<StorageErrorCode, number>> = {
  STORAGE_NOT_FOUND: 404,
  STORAGE_URL_INVALID: 403,
  STORAGE_URL_EXPIRED: 403,
  STORAGE_INVALID_KEY: 400,
  STORAGE_INVALID_REQUEST: 400,
  STORAGE_UPLOAD_TOO_LARGE: 413,
  STORAGE_CONTENT_TYPE_MISMATCH: 415,
  STORAGE_ACCESS_DENIED: 500,
  STORAGE_UNAVAILABLE: 503,
};

function sendError(req: IncomingMessage, res: ServerResponse, error: StorageError): void {
  if (res.headersSent) {
    res.destroy(error);
    return;
  }
  const body = JSON.stringify({ error: { code: error.code, message: error.message } });
  res.statusCode = STATUS[error.code] ?? 500;
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.setHeader('Content-Length', Buffer.byteLength(body));
  if (!req.readableEnded) {
    // The body we refused is not read: close the connection instead of draining it.
    res.setHeader('Connection', 'close');
    res.on('finish', () => req.destroy());
  }
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * The HTTP route behind the filesystem driver's presigned URLs, for any Node
 * server (Express: `app.use('/api/storage', handler)`; the mount point must
 * match the storage's `publicBaseUrl`). GET/HEAD serve an object, PUT stores
 * one; every request needs a valid, unexpired token for that method and key.
 * A PUT must carry the signed Content-Type and at most the signed byte count:
 * larger bodies are refused (413) and nothing is stored.
 */
export function createFilesystemStorageHandler(storage: FilesystemStorage) {
  return async function storageRoute(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://storage.invalid');
      let key: string;
      try {
        key = decodeURIComponent(url.pathname.replace(/^\/+/, ''));
      } catch {
        throw new StorageError('STORAGE_INVALID_KEY', 'Malformed key in URL');
      }
      assertValidKey(key);
      const token = url.searchParams.get('token');
      if (req.method === 'PUT') await receiveUpload(storage, req, res, key, token);
      else if (req.method === 'GET' || req.method === 'HEAD')
        await serveObject(storage, req, res, key, token);
      else {
        res.setHeader('Allow', 'GET, HEAD, PUT');
        res.statusCode = 405;
        res.end();
      }
    } catch (error) {
      sendError(
        req,
        res,
        isStorageError(error)
          ? error
          : new StorageError('STORAGE_UNAVAILABLE', String(error), { cause: error }),
      );
    }
  };
}

async function receiveUpload(
  storage: FilesystemStorage,
  req: IncomingMessage,
  res: ServerResponse,
  key: string,
  token: string | null,
) {
  const claims = storage.verifyToken(token, { method: 'PUT', key });
  const maxBytes = claims.maxBytes ?? 0;
  const contentType = contentTypeEssence(req.headers['content-type'] ?? '');
  if (contentType !== claims.contentType) {
    throw new StorageError(
      'STORAGE_CONTENT_TYPE_MISMATCH',
      `This URL accepts Content-Type ${claims.contentType}, got ${contentType || 'none'}`,
      { key },
    );
  }
  const declared =
    req.headers['content-length'] === undefined ? undefined : Number(req.headers['content-length']);
  if (declared !== undefined && declared > maxBytes) {
    throw new StorageError('STORAGE_UPLOAD_TOO_LARGE', `Upload of ${declared} bytes exceeds ${maxBytes}`, {
      key,
    });
  }
  // Chunked bodies have no declared length: the writer counts and stops at maxBytes.
  const written = await storage.write(key, req, { contentType }, { maxBytes, contentLength: declared });
  res.statusCode = 200;
  res.setHeader('ETag', `"${written.etag}"`);
  res.setHeader('Content-Type', 'application/json; charset=utf-8');
  res.end(JSON.stringify({ key, size: written.size, etag: written.etag }));
}

async function serveObject(
  storage: FilesystemStorage,
  req: IncomingMessage,
  res: ServerResponse,
  key: string,
  token: string | null,
) {
  const claims = storage.verifyToken(token, { method: 'GET', key });
  const { info, body } = await storage.getStream(key);
  const etag = `"${info.etag}"`;
  res.setHeader('ETag', etag);
  res.setHeader('Last-Modified', info.lastModified.toUTCString());
  // The URL stops working at expiry: caches must not outlive it.
  const maxAge = Math.max(0, claims.expiresAt - Math.floor(Date.now() / 1000));
  res.setHeader('Cache-Control', `private, max-age=${maxAge}`);
  // User-uploaded bytes served from the API's origin: never sniffed, never active content.
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('Content-Security-Policy', "default-src 'none'; sandbox");
  if (req.headers['if-none-match'] === etag) {
    body.destroy();
    res.statusCode = 304;
    res.end();
    return;
  }
  res.statusCode = 200;
  res.setHeader('Content-Type', info.contentType);
  res.setHeader('Content-Length', info.size);
  if (claims.downloadName !== undefined)
    res.setHeader('Content-Disposition', attachmentDisposition(claims.downloadName));
  if (req.method === 'HEAD') {
    body.destroy();
    res.end();
    return;
  }
  await pipeline(body, res);
}
