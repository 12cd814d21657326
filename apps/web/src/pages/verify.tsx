import { useMutation } from '@tanstack/react-query';
import { useState, type DragEvent } from 'react';
import { ErrorNote } from '../components/status';
import { VerifyVerdict, type VerifyResult } from '../components/verify-verdict';
import { useI18n } from '../i18n';

/** What the verifier takes (VERIFY_MAX_BYTES on the server). */
const MAX_BYTES = 20 * 1024 * 1024;

/** A refusal the page explains in its own words (the server's code), else the server's message. */
class VerifyError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** PNG, JPEG or WebP by their first bytes, as the server sniffs them: a text file never travels. */
function looksLikeImage(head: Uint8Array): boolean {
  const ascii = (from: number, to: number) => String.fromCharCode(...head.subarray(from, to));
  return (
    (head[0] === 0x89 && ascii(1, 4) === 'PNG') ||
    (head[0] === 0xff && head[1] === 0xd8 && head[2] === 0xff) ||
    (ascii(0, 4) === 'RIFF' && ascii(8, 12) === 'WEBP')
  );
}

/**
 * The file's bytes as they are, to provenance.verify's REST face: the tRPC procedure takes base64
 * of at most ~3 MB, this route the 20 MB a large result or a re-encode can reach.
 */
async function verifyFile(file: File): Promise<VerifyResult> {
  if (file.size > MAX_BYTES) throw new VerifyError('IMAGE_SIZE_EXCEEDED', file.name);
  if (!looksLikeImage(new Uint8Array(await file.slice(0, 12).arrayBuffer())))
    throw new VerifyError('INVALID_IMAGE_FORMAT', file.name);
  const response = await fetch('/api/provenance/verify', {
    method: 'POST',
    headers: { 'content-type': file.type || 'application/octet-stream' },
    body: file,
  });
  const body = (await response.json().catch(() => null)) as
    VerifyResult | { error?: { code?: string; message?: string } } | null;
  if (response.ok && body && 'status' in body) return body;
  const error = body && 'error' in body ? body.error : undefined;
  throw new VerifyError(error?.code ?? `HTTP_${response.status}`, error?.message ?? response.statusText);
}

/** Anyone drops or picks an image and learns plainly whether we signed it and whether it changed. */
export function VerifyPage() {
  const { t } = useI18n();
  const [dragging, setDragging] = useState(false);
  // The file travels with its verdict, so a verdict is never shown under another file's name.
  const verify = useMutation({
    mutationFn: async (file: File) => ({ file, result: await verifyFile(file) }),
  });
  const check = (picked: File | undefined) => {
    if (picked) verify.mutate(picked);
  };
  const onDrop = (event: DragEvent) => {
    event.preventDefault();
    setDragging(false);
    check(event.dataTransfer.files[0]);
  };
  return (
    <section className="mx-auto max-w-2xl space-y-5">
      <h1 className="text-2xl font-bold">{t('verify.title')}</h1>
      <p className="text-gray-800">{t('verify.intro')}</p>
      <div
        data-testid="drop-zone"
        onDragOver={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
        className={`space-y-2 rounded-xl border-2 border-dashed p-6 text-center ${dragging ? 'border-indigo-600 bg-indigo-50' : 'border-gray-300 bg-white'}`}
      >
        <label htmlFor="verify-file" className="block font-medium">
          {t('verify.pick')}
        </label>
        <input
          id="verify-file"
          type="file"
          accept="image/png,image/jpeg,image/webp"
          onChange={(event) => {
            check(event.target.files?.[0]);
            // The same file picked again (after an edit) must be checked again.
            event.target.value = '';
          }}
          className="mx-auto block text-sm file:mr-3 file:rounded file:border-0 file:bg-indigo-700 file:px-3 file:py-1 file:text-white"
        />
        <p className="text-sm text-gray-700">{t('verify.drop')}</p>
      </div>
      <div aria-live="polite" className="space-y-3">
        {verify.isPending ? <p>{t('verify.checking', { name: verify.variables.name })}</p> : null}
        {verify.isError ? <VerifyFailure error={verify.error} file={verify.variables} /> : null}
        {verify.isSuccess ? (
          <>
            <p className="text-sm text-gray-700">{t('verify.file', { name: verify.data.file.name })}</p>
            <VerifyVerdict result={verify.data.result} />
          </>
        ) : null}
      </div>
    </section>
  );
}

function VerifyFailure({ error, file }: { error: Error; file: File }) {
  const { t } = useI18n();
  const code = error instanceof VerifyError ? error.code : null;
  const note =
    code === 'IMAGE_SIZE_EXCEEDED'
      ? t('verify.tooLarge', { size: (file.size / 1024 / 1024).toFixed(1) })
      : code === 'INVALID_IMAGE_FORMAT'
        ? t('verify.notImage')
        : null;
  if (!note) return <ErrorNote error={code ? new Error(`${error.message} (${code})`) : error} />;
  return (
    <p role="alert" className="rounded border border-red-200 bg-red-50 p-3 text-red-900">
      {note}
    </p>
  );
}
