import { useInfiniteQuery } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import { GenerationCard } from '../components/generation-card';
import { ErrorNote, Loading } from '../components/status';
import { useI18n } from '../i18n';
import { useTRPC } from '../trpc';

type Sort = 'recent' | 'popular';

/** Public generations, newest or most liked first; more load as the end scrolls into view. */
export function FeedPage() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const [sort, setSort] = useState<Sort>('recent');
  const feed = useInfiniteQuery(
    trpc.generations.feed.infiniteQueryOptions(
      { sort, limit: 12 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  const end = useRef<HTMLDivElement>(null);
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = feed;
  useEffect(() => {
    const target = end.current;
    if (!target || !hasNextPage) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((entry) => entry.isIntersecting) && !isFetchingNextPage) void fetchNextPage();
    });
    observer.observe(target);
    return () => observer.disconnect();
  }, [hasNextPage, isFetchingNextPage, fetchNextPage]);
  const items = feed.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section>
      <div className="mb-4 flex items-center justify-between">
        <h1 className="text-2xl font-bold">{t('feed.title')}</h1>
        <div role="group" className="flex gap-1">
          {(['recent', 'popular'] as const).map((option) => (
            <button
              key={option}
              type="button"
              aria-pressed={sort === option}
              onClick={() => setSort(option)}
              className={`rounded-full px-3 py-1 text-sm ${sort === option ? 'bg-indigo-700 text-white' : 'bg-gray-200 text-gray-800'}`}
            >
              {t(option === 'recent' ? 'feed.recent' : 'feed.popular')}
            </button>
          ))}
        </div>
      </div>
      {feed.isPending ? <Loading /> : null}
      {feed.error ? <ErrorNote error={feed.error} /> : null}
      {feed.data && items.length === 0 ? <p className="text-gray-600">{t('common.empty')}</p> : null}
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {items.map((generation, index) => (
          <GenerationCard key={generation.id} generation={generation} eager={index < 3} />
        ))}
      </div>
      <div ref={end} className="h-8" />
      {feed.isFetchingNextPage ? <Loading /> : null}
    </section>
  );
}
