/** A presigned upload as `styles.uploadUrls` hands it out: a PUT (filesystem route) or an S3 form POST. */
export type PresignedUpload =
  | { method: 'PUT'; url: string; headers: Record<string, string> }
  | { method: 'POST'; url: string; fields: Record<string, string>; key: string };

/** A refusal by the storage, in its own words (our route's JSON error, or S3's XML `<Message>`). */
export class UploadRefused extends Error {}

function refusalOf(status: number, text: string): UploadRefused {
  try {
    const error = (JSON.parse(text) as { error?: { message?: string } }).error;
    if (error?.message) return new UploadRefused(error.message);
  } catch {
    // not JSON: S3's XML below
  }
  return new UploadRefused(/<Message>([^<]+)<\/Message>/.exec(text)?.[1] ?? `HTTP ${status}`);
}

/**
 * Sends one file straight to storage. XMLHttpRequest, not fetch: only it reports upload progress.
 * Resolves when storage accepted the bytes; rejects with the storage's reason otherwise.
 */
export function uploadFile(
  upload: PresignedUpload,
  file: Blob,
  onProgress: (loaded: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open(upload.method, upload.url);
    xhr.upload.onprogress = (event) => onProgress(event.loaded);
    xhr.onload = () => {
      if (xhr.status >= 200 && xhr.status < 300) {
        onProgress(file.size);
        resolve();
      } else reject(refusalOf(xhr.status, xhr.responseText));
    };
    xhr.onerror = () => reject(new UploadRefused('The connection to storage failed.'));
    xhr.onabort = () => reject(new UploadRefused('The upload was cancelled.'));
    signal?.addEventListener('abort', () => xhr.abort(), { once: true });
    if (upload.method === 'PUT') {
      for (const [name, value] of Object.entries(upload.headers)) xhr.setRequestHeader(name, value);
      xhr.send(file);
    } else {
      const form = new FormData();
      for (const [name, value] of Object.entries(upload.fields)) form.append(name, value);
      form.append('file', file, upload.key.split('/').pop()); // S3 ignores fields after `file`
      xhr.send(form);
    }
  });
}
