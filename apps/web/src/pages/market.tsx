import { useInfiniteQuery, useQuery } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useSearchParams } from 'react-router';
import { StyleCard } from '../components/style-card';
import { ErrorNote, Loading } from '../components/status';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { useTRPC } from '../trpc';

type Sort = 'recent' | 'popular';

/** The catalogue (recent or popular) and search over styles, tags and artists. */
export function MarketPage() {
  const { t } = useI18n();
  const [params, setParams] = useSearchParams();
  const q = params.get('q') ?? '';
  const [draft, setDraft] = useState(q);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    setParams(draft.trim() ? { q: draft.trim() } : {});
  };
  return (
    <section className="space-y-4">
      <h1 className="text-2xl font-bold">{t('market.title')}</h1>
      <form role="search" onSubmit={submit} className="flex gap-2">
        <input
          type="search"
          aria-label={t('market.search')}
          placeholder={t('market.search')}
          value={draft}
          onChange={(event) => setDraft(event.target.value)}
          className="min-w-0 flex-1 rounded-lg border border-gray-300 px-3 py-2"
        />
        <button type="submit" className="rounded-lg bg-indigo-700 px-4 text-white">
          {t('market.searchButton')}
        </button>
      </form>
      {q ? <SearchResults q={q} /> : <Catalogue />}
    </section>
  );
}

function Catalogue() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const [sort, setSort] = useState<Sort>('recent');
  const signedIn = Boolean(useSession().data?.user);
  const [followedOnly, setFollowedOnly] = useState(false);
  const followed = signedIn && followedOnly;
  const styles = useInfiniteQuery(
    trpc.styles.list.infiniteQueryOptions(
      { sort, limit: 12, ...(followed ? { followed: true } : {}) },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  const chip = (pressed: boolean) =>
    `rounded-full px-3 py-1 text-sm ${pressed ? 'bg-indigo-700 text-white' : 'bg-gray-200 text-gray-800'}`;
  return (
    <>
      <div role="group" className="flex flex-wrap gap-1">
        {(['recent', 'popular'] as const).map((option) => (
          <button
            key={option}
            type="button"
            aria-pressed={sort === option}
            onClick={() => setSort(option)}
            className={chip(sort === option)}
          >
            {t(option === 'recent' ? 'feed.recent' : 'feed.popular')}
          </button>
        ))}
        {signedIn ? (
          <button
            type="button"
            aria-pressed={followed}
            onClick={() => setFollowedOnly(!followedOnly)}
            className={chip(followed)}
          >
            {t('market.followed')}
          </button>
        ) : null}
      </div>
      {followed && styles.data?.pages[0]?.items.length === 0 ? (
        <p className="text-gray-700">{t('market.followedEmpty')}</p>
      ) : null}
      {styles.isPending ? <Loading /> : null}
      {styles.error ? <ErrorNote error={styles.error} /> : null}
      <ul className="grid grid-cols-2 gap-3 md:grid-cols-4">
        {styles.data?.pages
          .flatMap((page) => page.items)
          .map((style) => (
            <li key={style.id}>
              <StyleCard style={style} />
            </li>
          ))}
      </ul>
      {styles.hasNextPage ? (
        <button
          type="button"
          onClick={() => void styles.fetchNextPage()}
          className="rounded bg-gray-200 px-4 py-2 text-gray-800"
        >
          {t('common.loadMore')}
        </button>
      ) : null}
    </>
  );
}

function SearchResults({ q }: { q: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const result = useQuery(trpc.search.query.queryOptions({ q, type: 'all' }));
  if (result.isPending) return <Loading />;
  if (result.error) return <ErrorNote error={result.error} />;
  const { styles, artists } = result.data;
  if (!styles.length && !artists.length)
    return <p className="text-gray-700">{t('market.noResults', { q })}</p>;
  return (
    <div className="space-y-4">
      {styles.length ? (
        <section>
          <h2 className="mb-2 text-lg font-semibold">{t('market.styles')}</h2>
          <ul className="grid grid-cols-2 gap-3 md:grid-cols-4">
            {styles.map((style) => (
              <li key={style.id}>
                <StyleCard
                  style={style}
                  matched={[
                    ...style.matchedBy.filter((m) => m === 'name'),
                    ...style.matchedTags.map((tag) => `#${tag}`),
                  ]}
                />
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {artists.length ? (
        <section>
          <h2 className="mb-2 text-lg font-semibold">{t('market.artists')}</h2>
          <ul className="space-y-2">
            {artists.map((person) => (
              <li key={person.id} className="rounded-lg bg-white p-3 shadow-sm">
                <Link to={`/u/${person.id}`} className="font-medium text-indigo-700 underline">
                  {person.artistName ?? person.username}
                </Link>
                <p className="text-sm text-gray-700">
                  {t('market.matched', { fields: person.matchedBy.join(', ') })}
                </p>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </div>
  );
}
