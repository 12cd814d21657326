import { useMutation } from '@tanstack/react-query';
import { TRPCClientError } from '@trpc/client';
import { useState, type FormEvent } from 'react';
import { Link, useNavigate } from 'react-router';
import { ArtworkPicker } from '../components/artwork-picker';
import { PriceAndLicense, StyleDescription, type License } from '../components/price-license';
import { ErrorNote, Loading } from '../components/status';
import { TagInput, withDraft } from '../components/tag-input';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { ARTWORK_RULES } from '../studio/artwork-files';
import { useArtworks } from '../studio/use-artworks';
import { useTRPC } from '../trpc';

/** Which staged image the API refused (its `details.index`), if the refusal names one. */
function refusedIndex(error: unknown): number | null {
  if (!(error instanceof TRPCClientError)) return null;
  const index = (error.data as { details?: { index?: unknown } } | undefined)?.details?.index;
  return typeof index === 'number' ? index : null;
}

/**
 * A new style: name, description, tags, price and licence, and 10–100 artworks sent straight to
 * storage with their progress; then the style is created (training is queued) and its page opens.
 */
export function NewStylePage() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const navigate = useNavigate();
  const session = useSession();
  const { artworks, add, remove, refuse, upload } = useArtworks();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [tags, setTags] = useState<string[]>([]);
  const [draft, setDraft] = useState('');
  const [price, setPrice] = useState(10);
  const [license, setLicense] = useState<License>('personal');
  const [problem, setProblem] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const uploadUrls = useMutation(trpc.styles.uploadUrls.mutationOptions());
  const create = useMutation(trpc.styles.create.mutationOptions());
  if (session.isPending) return <Loading />;
  const user = session.data?.user;
  if (!user?.artist)
    return (
      <article className="space-y-3">
        <h1 className="text-2xl font-bold">{t('studio.title')}</h1>
        <p className="text-gray-800">{t('studio.artistsOnly')}</p>
        <Link to={user ? `/u/${user.id}` : '/sign-in'} className="text-indigo-700 underline">
          {user ? t('artist.upgrade') : t('auth.signIn')}
        </Link>
      </article>
    );
  const ready = artworks.filter((a) => a.state === 'ready');
  const checking = artworks.some((a) => a.state === 'checking');

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setProblem(null);
    if (ready.length < ARTWORK_RULES.min) {
      setProblem(t('studio.needMore', { min: ARTWORK_RULES.min, count: ready.length }));
      return;
    }
    setBusy(true);
    try {
      const staged = await uploadUrls.mutateAsync({ images: ready.map((a) => ({ contentType: a.type! })) });
      if (!(await upload(ready, staged.uploads))) {
        setProblem(t('studio.uploadRefused'));
        return;
      }
      const style = await create.mutateAsync({
        uploadId: staged.uploadId,
        name: name.trim(),
        description: description.trim(),
        generationCostTokens: price,
        licenseType: license,
        tags: withDraft(tags, draft),
        artworks: ready.map((_, index) => ({ index })),
      });
      await navigate(`/styles/${style.id}`);
    } catch (error) {
      const index = refusedIndex(error);
      const artwork = index === null ? undefined : ready[index];
      if (artwork && error instanceof Error) refuse(artwork.id, error.message);
      // API refusals are shown under the form by their mutation; anything else is said here.
      else if (!(error instanceof TRPCClientError))
        setProblem(error instanceof Error ? error.message : String(error));
    } finally {
      setBusy(false);
    }
  };

  return (
    <form onSubmit={(event) => void submit(event)} className="space-y-4">
      <h1 className="text-2xl font-bold">{t('studio.title')}</h1>
      <div className="space-y-1">
        <label className="block text-sm font-medium" htmlFor="style-name">
          {t('studio.name')}
        </label>
        <input
          id="style-name"
          required
          maxLength={100}
          value={name}
          onChange={(event) => setName(event.target.value)}
          className="w-full rounded border border-gray-300 px-2 py-1"
        />
        <p className="text-xs text-gray-700">{t('studio.nameHint')}</p>
      </div>
      <StyleDescription value={description} onChange={setDescription} />
      <TagInput
        id="style-tags"
        label={t('studio.tags')}
        tags={tags}
        onTags={setTags}
        draft={draft}
        onDraft={setDraft}
      />
      <PriceAndLicense price={price} onPrice={setPrice} license={license} onLicense={setLicense} />
      <ArtworkPicker artworks={artworks} onFiles={add} onRemove={remove} busy={busy} />
      <button
        type="submit"
        disabled={busy || checking}
        className="w-full rounded-lg bg-indigo-700 py-2 font-semibold text-white disabled:bg-gray-400"
      >
        {busy ? t('studio.creating') : t('studio.create')}
      </button>
      {problem ? (
        <p role="alert" className="text-sm text-red-800">
          {problem}
        </p>
      ) : null}
      {uploadUrls.error ? <ErrorNote error={uploadUrls.error} /> : null}
      {create.error ? <ErrorNote error={create.error} /> : null}
    </form>
  );
}
