import { useInfiniteQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/en';
import { useTRPC } from '../trpc';
import { ErrorNote } from './status';

/** The artist's own styles in every state (training ones too), with what each has earned. */
export function MyStyles() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const styles = useInfiniteQuery(
    trpc.styles.mine.infiniteQueryOptions(
      { limit: 20 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  const items = styles.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section className="space-y-2">
      <h2 className="text-lg font-semibold">{t('studio.mine')}</h2>
      {styles.error ? <ErrorNote error={styles.error} /> : null}
      {styles.data && items.length === 0 ? <p className="text-gray-700">{t('common.empty')}</p> : null}
      <ul className="divide-y divide-gray-200 rounded-xl border border-gray-200 bg-white">
        {items.map((style) => (
          <li key={style.id} data-testid="my-style" className="flex items-center gap-3 p-3">
            {style.thumbnailUrl ? (
              <img src={style.thumbnailUrl} alt="" width={48} height={48} className="h-12 w-12 rounded" />
            ) : (
              <span aria-hidden="true" className="h-12 w-12 shrink-0 rounded bg-gray-100" />
            )}
            <div className="min-w-0 grow">
              <Link to={`/styles/${style.id}`} className="font-semibold underline">
                {style.name}
              </Link>
              <p className="text-sm text-gray-700">
                {t(`training.${style.trainingStatus}` as MessageKey)}
                {style.progress ? ` ${t('progress.percent', { percent: style.progress.percent })}` : null}
                {style.isActive ? null : ` · ${t('studio.inactive')}`}
              </p>
            </div>
            <p className="text-right text-sm text-gray-800">
              {t('studio.earned', { count: style.earnedTokens })}
            </p>
          </li>
        ))}
      </ul>
      {styles.hasNextPage ? (
        <button
          type="button"
          disabled={styles.isFetchingNextPage}
          onClick={() => void styles.fetchNextPage()}
          className="rounded bg-gray-200 px-4 py-2 text-gray-800"
        >
          {t('common.loadMore')}
        </button>
      ) : null}
    </section>
  );
}
