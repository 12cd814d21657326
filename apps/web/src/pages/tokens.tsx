import { useInfiniteQuery, useMutation, useQuery } from '@tanstack/react-query';
import { Navigate, useSearchParams } from 'react-router';
import { ErrorNote, Loading } from '../components/status';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/en';
import { useSession } from '../session';
import { useTRPC } from '../trpc';

const TX_LABEL: Record<string, MessageKey> = {
  purchase: 'tx.purchase',
  generation: 'tx.generation',
  refund: 'tx.refund',
  earning: 'tx.earning',
  bonus: 'tx.bonus',
};

/** Balance, the packages on sale (checkout on the provider's page), and every ledger entry. */
export function TokensPage() {
  const { t } = useI18n();
  const session = useSession();
  const [params] = useSearchParams();
  if (session.data && !session.data.user) return <Navigate to="/sign-in" replace />;
  if (!session.data?.user) return <Loading />;
  const error = params.get('error');
  return (
    <section className="space-y-5">
      <h1 className="text-2xl font-bold">{t('tokens.title')}</h1>
      {params.get('purchase') === 'paid' ? (
        <p role="status" className="rounded border border-green-200 bg-green-50 p-3 text-green-900">
          {t('tokens.paid')}
        </p>
      ) : null}
      {error ? (
        <p role="alert" className="rounded border border-red-200 bg-red-50 p-3 text-red-900">
          {t('tokens.failed', { reason: params.get('reason') || error })}
        </p>
      ) : null}
      <Balance />
      <Packages />
      <History />
    </section>
  );
}

function Balance() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const balance = useQuery(trpc.tokens.balance.queryOptions());
  if (balance.error) return <ErrorNote error={balance.error} />;
  return (
    <dl className="grid grid-cols-2 gap-2 rounded-xl border border-gray-200 bg-white p-4">
      <dt className="text-gray-700">{t('tokens.balance')}</dt>
      <dd data-testid="token-balance" className="text-right text-2xl font-bold">
        {balance.data?.tokenBalance ?? '…'}
      </dd>
      {balance.data?.earnedTokenBalance != null ? (
        <>
          <dt className="text-gray-700">{t('tokens.earned')}</dt>
          <dd className="text-right">{balance.data.earnedTokenBalance}</dd>
        </>
      ) : null}
    </dl>
  );
}

function Packages() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const packages = useQuery(trpc.tokens.packages.queryOptions());
  // The provider's checkout page takes over; it returns to /tokens with the outcome.
  const purchase = useMutation(
    trpc.tokens.purchase.mutationOptions({
      onSuccess: ({ checkoutUrl }) => window.location.assign(checkoutUrl),
    }),
  );
  return (
    <section>
      <h2 className="mb-2 text-lg font-semibold">{t('tokens.packages')}</h2>
      <ul className="grid gap-2 sm:grid-cols-3">
        {packages.data?.map((pkg) => (
          <li key={pkg.id}>
            <button
              type="button"
              disabled={purchase.isPending}
              onClick={() => purchase.mutate({ packageId: pkg.id })}
              className="w-full rounded-lg border border-indigo-300 bg-white p-3 text-left font-medium text-indigo-900 hover:bg-indigo-50"
            >
              {t('tokens.buy', { tokens: pkg.tokens, price: pkg.price.toLocaleString('en-US') })}
            </button>
          </li>
        ))}
      </ul>
      {purchase.error ? <ErrorNote error={purchase.error} /> : null}
    </section>
  );
}

function History() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const history = useInfiniteQuery(
    trpc.tokens.transactions.infiniteQueryOptions(
      { type: 'all', limit: 20 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  return (
    <section>
      <h2 className="mb-2 text-lg font-semibold">{t('tokens.history')}</h2>
      {history.error ? <ErrorNote error={history.error} /> : null}
      <ul className="divide-y divide-gray-200 rounded-xl border border-gray-200 bg-white">
        {history.data?.pages
          .flatMap((page) => page.items)
          .map((entry) => (
            <li key={entry.id} data-testid="transaction" className="flex justify-between p-3 text-sm">
              <span>
                {t(TX_LABEL[entry.type] ?? 'tx.other')}
                {entry.style ? ` · ${entry.style.name}` : ''}
                {entry.refunded ? ` · ${t('tx.refund')}` : ''}
              </span>
              <span className={entry.direction === 'in' ? 'text-green-800' : 'text-gray-900'}>
                {entry.direction === 'in' ? '+' : '−'}
                {entry.amount}
              </span>
            </li>
          ))}
      </ul>
      {history.hasNextPage ? (
        <button
          type="button"
          onClick={() => void history.fetchNextPage()}
          className="mt-2 rounded bg-gray-200 px-4 py-2 text-gray-800"
        >
          {t('common.loadMore')}
        </button>
      ) : null}
    </section>
  );
}
