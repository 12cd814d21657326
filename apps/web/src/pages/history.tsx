import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { Link, Navigate } from 'react-router';
import { GenerationProgress } from '../components/generation-progress';
import { ErrorNote, Loading } from '../components/status';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/en';
import { useSession } from '../session';
import { useTRPC } from '../trpc';

const STATUSES = ['queued', 'processing', 'retrying', 'completed', 'failed'] as const;
type Status = (typeof STATUSES)[number];

/** My generations, filtered by status; unfinished ones show live progress, failed ones why and the refund. */
export function HistoryPage() {
  const { t } = useI18n();
  const session = useSession();
  const [status, setStatus] = useState<Status | ''>('');
  if (session.data && !session.data.user) return <Navigate to="/sign-in" replace />;
  return (
    <section className="space-y-4">
      <h1 className="text-2xl font-bold">{t('history.title')}</h1>
      <label className="flex items-center gap-2 text-sm">
        {t('history.filter')}
        <select
          value={status}
          onChange={(event) => setStatus(event.target.value as Status | '')}
          className="rounded border border-gray-300 px-2 py-1"
        >
          <option value="">{t('history.all')}</option>
          {STATUSES.map((option) => (
            <option key={option} value={option}>
              {t(`status.${option}` as MessageKey)}
            </option>
          ))}
        </select>
      </label>
      {session.data?.user ? <Generations status={status || undefined} /> : <Loading />}
    </section>
  );
}

function Generations({ status }: { status: Status | undefined }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const list = useInfiniteQuery(
    trpc.generations.mine.infiniteQueryOptions(
      { status, visibility: 'all', limit: 20 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  if (list.isPending) return <Loading />;
  if (list.error) return <ErrorNote error={list.error} />;
  const items = list.data.pages.flatMap((page) => page.items);
  return (
    <>
      {items.length === 0 ? <p className="text-gray-700">{t('common.empty')}</p> : null}
      <ul className="grid gap-4 sm:grid-cols-2 lg:grid-cols-3">
        {items.map((generation) => (
          <li key={generation.id} data-testid="history-item" className="space-y-1">
            <Link
              to={`/styles/${generation.style.id}`}
              className="text-sm font-medium text-indigo-700 underline"
            >
              {generation.style.name}
            </Link>
            <p className="text-xs text-gray-700">{generation.createdAt.toLocaleString()}</p>
            <GenerationProgress generationId={generation.id} />
          </li>
        ))}
      </ul>
      {list.hasNextPage ? (
        <button
          type="button"
          onClick={() => void list.fetchNextPage()}
          className="rounded bg-gray-200 px-4 py-2 text-gray-800"
        >
          {t('common.loadMore')}
        </button>
      ) : null}
    </>
  );
}
