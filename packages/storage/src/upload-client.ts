import { STORAGE_ERROR_CODES, StorageError, type StorageErrorCode } from './errors';
import type { PresignedUpload } from './types';

/**
 * Sends bytes to a presigned upload from either driver (S3 POST form or
 * filesystem PUT) with `fetch`; what a browser or a worker runs. Failures
 * become StorageErrors: STORAGE_UPLOAD_TOO_LARGE, STORAGE_CONTENT_TYPE_MISMATCH,
 * STORAGE_URL_EXPIRED, STORAGE_URL_INVALID, STORAGE_UNAVAILABLE.
 */
export async function uploadToPresignedUrl(
  upload: PresignedUpload,
  body: Uint8Array | Blob,
  options: { fetch?: typeof fetch } = {},
): Promise<void> {
  const send = options.fetch ?? fetch;
  // DOM's lib types Blob parts as ArrayBuffer-backed only; our bytes never sit in shared memory.
  // The assertion is needed where apps/web compiles this file with DOM's lib, not under Node's types.
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion
  const blob = body instanceof Blob ? body : new Blob([body as Uint8Array<ArrayBuffer>]);
  let response: Response;
  try {
    if (upload.method === 'POST') {
      const form = new FormData();
      for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
      form.append('file', blob, upload.key.split('/').pop()); // S3 ignores fields after `file`
      response = await send(upload.url, { method: 'POST', body: form });
    } else {
      response = await send(upload.url, { method: 'PUT', headers: upload.headers, body: blob });
    }
  } catch (error) {
    throw new StorageError('STORAGE_UNAVAILABLE', `Upload failed: ${String(error)}`, {
      cause: error,
      key: upload.key,
    });
  }
  if (response.ok) {
    await response.body?.cancel();
    return;
  }
  throw uploadFailure(response.status, await response.text(), upload.key);
}

function uploadFailure(status: number, text: string, key: string): StorageError {
  // Filesystem route: JSON with our own code.
  try {
    const code = (JSON.parse(text) as { error?: { code?: string; message?: string } }).error;
    if (code?.code && (STORAGE_ERROR_CODES as readonly string[]).includes(code.code)) {
      return new StorageError(code.code as StorageErrorCode, code.message ?? code.code, { key });
    }
  } catch {
    // not JSON: S3's XML below
  }
  const s3Code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1] ?? '';
  const message = /<Message>([^<]+)<\/Message>/.exec(text)?.[1] ?? `HTTP ${status}`;
  if (s3Code === 'EntityTooLarge' || status === 413) {
    return new StorageError('STORAGE_UPLOAD_TOO_LARGE', message, { key });
  }
  if (status >= 500 || status === 429) return new StorageError('STORAGE_UNAVAILABLE', message, { key });
  if (/expired/i.test(message)) return new StorageError('STORAGE_URL_EXPIRED', message, { key });
  if (/Content-Type/i.test(message) || status === 415) {
    return new StorageError('STORAGE_CONTENT_TYPE_MISMATCH', message, { key });
  }
  return new StorageError('STORAGE_URL_INVALID', `${s3Code || 'Rejected'}: ${message}`, { key });
}
