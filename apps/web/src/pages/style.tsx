import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { GenerationProgress } from '../components/generation-progress';
import { RecommendedTags, StyleExamples } from '../components/style-examples';
import { StyleOwnerPanel } from '../components/style-owner';
import { TagInput, withDraft } from '../components/tag-input';
import { ErrorNote, Loading } from '../components/status';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { errorCodeOf, useTRPC } from '../trpc';

const ASPECTS = ['1:1', '1:2', '2:2'] as const;
type StyleData = {
  name: string;
  thumbnailUrl: string | null;
  samples: Array<{ id: string; imageUrl: string | null; caption: string; width: number; height: number }>;
};
type Aspect = (typeof ASPECTS)[number];

/** A style: its artworks, and — before any click — the price and what the balance will be after it. */
export function StylePage() {
  const { styleId = '' } = useParams();
  const { t } = useI18n();
  const trpc = useTRPC();
  const style = useQuery(trpc.styles.byId.queryOptions({ styleId }));
  if (style.isPending) return <Loading />;
  if (style.error) return <ErrorNote error={style.error} />;
  const s = style.data;
  return (
    <article className="space-y-5">
      <header className="space-y-1">
        <h1 className="text-2xl font-bold">{s.name}</h1>
        <p>
          <Link to={`/u/${s.artist.id}`} className="text-gray-700 underline">
            {s.artist.artistName}
          </Link>
        </p>
        {s.description ? <p className="text-gray-800">{s.description}</p> : null}
        <ul className="flex flex-wrap gap-2">
          {s.tags.map((tag) => (
            <li key={tag} className="rounded-full bg-gray-200 px-2 py-0.5 text-sm text-gray-800">
              #{tag}
            </li>
          ))}
        </ul>
      </header>
      {s.owner ? <StyleOwnerPanel style={s} /> : null}
      <div className="grid gap-6 md:grid-cols-[1fr_20rem]">
        <StyleArtworks style={s} />
        {s.trainingStatus === 'completed' && s.isActive ? (
          <GenerateForm styleId={s.id} cost={s.generationCostTokens} />
        ) : (
          <p className="text-gray-800">{t('style.notReady', { status: s.trainingStatus })}</p>
        )}
      </div>
      {s.trainingStatus === 'completed' && s.isActive ? <StyleExamples styleId={s.id} /> : null}
    </article>
  );
}

function GenerateForm({ styleId, cost }: { styleId: string; cost: number }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const session = useSession();
  const user = session.data?.user;
  const balance = useQuery(trpc.tokens.balance.queryOptions(undefined, { enabled: Boolean(user) }));
  const [tags, setTags] = useState<string[]>([]);
  const [draft, setDraft] = useState('');
  const [aspect, setAspect] = useState<Aspect>('1:1');
  const [generationId, setGenerationId] = useState<string | null>(null);
  const create = useMutation(
    trpc.generations.create.mutationOptions({
      onSuccess: async (generation) => {
        setGenerationId(generation.id);
        await queryClient.invalidateQueries({ queryKey: trpc.tokens.pathKey() });
      },
      // Show the new price (and balance after it) so the next click agrees to it knowingly.
      onError: (error) => {
        if (errorCodeOf(error) === 'PRICE_CHANGED')
          void queryClient.invalidateQueries({ queryKey: trpc.styles.byId.queryKey({ styleId }) });
      },
    }),
  );
  if (!user)
    return (
      <Link to="/sign-in" className="self-start text-indigo-700 underline">
        {t('style.signInToGenerate')}
      </Link>
    );
  const tokenBalance = balance.data?.tokenBalance;
  const after = tokenBalance === undefined ? undefined : tokenBalance - cost;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    const promptTags = withDraft(tags, draft);
    // The price on screen is the price agreed to: a changed price is refused (PRICE_CHANGED), never charged.
    create.mutate({ styleId, promptTags, aspectRatio: aspect, expectedCost: cost });
  };
  return (
    <form onSubmit={submit} className="space-y-3 rounded-xl border border-gray-200 bg-white p-4">
      <dl className="grid grid-cols-2 gap-1 text-sm" data-testid="price-box">
        <dt className="text-gray-700">{t('style.price')}</dt>
        <dd data-testid="price" className="text-right font-semibold">
          {t('common.tokens', { count: cost })}
        </dd>
        <dt className="text-gray-700">{t('style.balance')}</dt>
        <dd data-testid="balance" className="text-right">
          {tokenBalance ?? '…'}
        </dd>
        <dt className="text-gray-700">{t('style.after')}</dt>
        <dd
          data-testid="balance-after"
          className={`text-right font-semibold ${after !== undefined && after < 0 ? 'text-red-700' : ''}`}
        >
          {after ?? '…'}
        </dd>
      </dl>
      <TagInput
        id="tag-input"
        label={t('style.tags')}
        tags={tags}
        onTags={setTags}
        draft={draft}
        onDraft={setDraft}
      />
      <RecommendedTags
        styleId={styleId}
        chosen={tags}
        onPick={(tag) => setTags((current) => (current.includes(tag) ? current : [...current, tag]))}
      />
      <fieldset>
        <legend className="text-sm font-medium">{t('style.aspect')}</legend>
        <div className="mt-1 flex gap-3">
          {ASPECTS.map((option) => (
            <label key={option} className="flex items-center gap-1 text-sm">
              <input
                type="radio"
                name="aspect"
                value={option}
                checked={aspect === option}
                onChange={() => setAspect(option)}
              />
              {option}
            </label>
          ))}
        </div>
      </fieldset>
      {after !== undefined && after < 0 ? (
        <p className="text-sm text-red-700">
          {t('style.notEnough')}{' '}
          <Link to="/tokens" className="underline">
            {t('nav.tokens')}
          </Link>
        </p>
      ) : null}
      <button
        type="submit"
        disabled={
          create.isPending || (tags.length === 0 && !draft.trim()) || (after !== undefined && after < 0)
        }
        className="w-full rounded-lg bg-indigo-700 py-2 font-semibold text-white disabled:bg-gray-400"
      >
        {t('style.generate', { cost })}
      </button>
      {create.error ? <ErrorNote error={create.error} /> : null}
      {generationId ? <GenerationProgress generationId={generationId} /> : null}
    </form>
  );
}

/** The artist's own artworks; a style that shows none (seeded, or all withdrawn) shows its cover. */
function StyleArtworks({ style }: { style: StyleData }) {
  const { t } = useI18n();
  const samples = style.samples.filter((sample) => sample.imageUrl);
  const pictures =
    samples.length > 0
      ? samples
      : style.thumbnailUrl
        ? [{ id: 'cover', imageUrl: style.thumbnailUrl, caption: t('style.cover'), width: 512, height: 512 }]
        : [];
  if (pictures.length === 0) return <div />;
  return (
    <section>
      <h2 className="mb-2 text-lg font-semibold">{t('style.artworks')}</h2>
      <div className="grid grid-cols-3 gap-2">
        {pictures.map((picture) => (
          <img
            key={picture.id}
            src={picture.imageUrl ?? undefined}
            alt={picture.caption || style.name}
            width={picture.width}
            height={picture.height}
            loading="lazy"
            data-testid="style-artwork"
            className="aspect-square w-full rounded-lg bg-gray-100 object-cover"
          />
        ))}
      </div>
    </section>
  );
}
