import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useRef, useState, type FormEvent } from 'react';
import { useI18n } from '../i18n';
import { useTRPC } from '../trpc';
import { SignaturePad, signaturePng } from './signature-pad';
import { ErrorNote } from './status';

/** Become an artist: an artist name and a signature (drawn or uploaded) that every image will carry. */
export function ArtistUpgrade() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const canvas = useRef<HTMLCanvasElement | null>(null);
  const [artistName, setArtistName] = useState('');
  const [inked, setInked] = useState(false);
  const upgrade = useMutation(
    trpc.users.upgradeToArtist.mutationOptions({
      onSuccess: async () => {
        await Promise.all([
          queryClient.invalidateQueries({ queryKey: trpc.users.byId.pathKey() }),
          queryClient.invalidateQueries({ queryKey: trpc.auth.session.queryKey() }),
        ]);
      },
    }),
  );
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!canvas.current) return;
    upgrade.mutate({ artistName: artistName.trim(), signaturePng: await signaturePng(canvas.current) });
  };
  return (
    <form
      onSubmit={(event) => void submit(event)}
      aria-labelledby="artist-upgrade"
      className="space-y-3 rounded-xl border border-gray-200 bg-white p-4"
    >
      <h2 id="artist-upgrade" className="text-lg font-semibold">
        {t('artist.upgrade')}
      </h2>
      <p className="text-sm text-gray-700">{t('artist.upgradeHint')}</p>
      <div className="space-y-1">
        <label className="block text-sm font-medium" htmlFor="artist-name">
          {t('artist.name')}
        </label>
        <input
          id="artist-name"
          required
          maxLength={100}
          value={artistName}
          onChange={(event) => setArtistName(event.target.value)}
          className="w-full rounded border border-gray-300 px-2 py-1"
        />
      </div>
      <SignaturePad canvasRef={canvas} onInk={setInked} />
      <button
        type="submit"
        disabled={upgrade.isPending || !inked || !artistName.trim()}
        className="rounded-lg bg-indigo-700 px-4 py-2 font-semibold text-white disabled:bg-gray-400"
      >
        {t('artist.become')}
      </button>
      {upgrade.error ? <ErrorNote error={upgrade.error} /> : null}
    </form>
  );
}
