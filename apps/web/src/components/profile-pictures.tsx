import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type ChangeEvent } from 'react';
import { ErrorNote } from './status';
import { SignaturePad, signaturePng } from './signature-pad';
import { useI18n } from '../i18n';
import { useTRPC } from '../trpc';

const MAX_PICTURE_BYTES = 2 * 1024 * 1024;

async function base64Of(file: Blob): Promise<string> {
  const bytes = new Uint8Array(await file.arrayBuffer());
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary);
}

/** My profile picture: a PNG, JPEG or WebP up to 2 MB, squared by the server. */
export function ProfilePicture({ userId }: { userId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [tooLarge, setTooLarge] = useState(false);
  const set = useMutation(
    trpc.users.setProfilePicture.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.users.byId.queryKey({ userId }) }),
    }),
  );
  const pick = async (event: ChangeEvent<HTMLInputElement>) => {
    const file = event.target.files?.[0];
    event.target.value = '';
    if (!file) return;
    setTooLarge(file.size > MAX_PICTURE_BYTES);
    if (file.size > MAX_PICTURE_BYTES) return;
    set.mutate({ image: await base64Of(file) });
  };
  return (
    <section aria-labelledby="profile-picture" className="space-y-2">
      <h2 id="profile-picture" className="text-lg font-semibold">
        {t('pictures.profile')}
      </h2>
      <label className="block text-sm">
        {t('pictures.choose')}
        <input
          type="file"
          accept="image/png,image/jpeg,image/webp"
          onChange={(event) => void pick(event)}
          className="mt-1 block text-sm"
        />
      </label>
      {set.isPending ? <p className="text-sm text-gray-700">{t('pictures.saving')}</p> : null}
      {set.isSuccess ? (
        <p role="status" className="text-sm text-green-800">
          {t('pictures.saved')}
        </p>
      ) : null}
      {tooLarge ? (
        <p role="alert" className="text-sm text-red-800">
          {t('pictures.tooLarge')}
        </p>
      ) : null}
      {set.error ? <ErrorNote error={set.error} /> : null}
    </section>
  );
}

/** An artist draws (or places) a new signature for the images made from now on. */
export function ReplaceSignature() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const canvas = useRef<HTMLCanvasElement | null>(null);
  const [inked, setInked] = useState(false);
  const replace = useMutation(trpc.users.replaceSignature.mutationOptions());
  const submit = async () => {
    if (!canvas.current) return;
    replace.mutate({ signaturePng: await signaturePng(canvas.current) });
  };
  return (
    <section aria-labelledby="replace-signature" className="space-y-2">
      <h2 id="replace-signature" className="text-lg font-semibold">
        {t('pictures.signature')}
      </h2>
      <p className="text-sm text-gray-700">{t('pictures.signatureHint')}</p>
      <SignaturePad canvasRef={canvas} onInk={setInked} />
      <button
        type="button"
        disabled={!inked || replace.isPending}
        onClick={() => void submit()}
        className="rounded-lg bg-indigo-700 px-4 py-2 text-white disabled:opacity-50"
      >
        {t('pictures.replace')}
      </button>
      {replace.isSuccess ? (
        <p role="status" className="text-sm text-green-800">
          {t('pictures.replaced')}
        </p>
      ) : null}
      {replace.error ? <ErrorNote error={replace.error} /> : null}
    </section>
  );
}
