import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import type { inferRouterOutputs } from '@trpc/server';
import { useState } from 'react';
import type { AppRouter } from '@stylelicense/api';
import { useI18n } from '../i18n';
import { useTRPC } from '../trpc';
import { ApiKeyForm } from './api-key-form';
import { ErrorNote, Loading } from './status';

type ApiKeyView = inferRouterOutputs<AppRouter>['apiKeys']['list'][number];

/** My keys for programs: create one (secret shown once), see each key's use, revoke. */
export function ApiKeys() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const keys = useQuery(trpc.apiKeys.list.queryOptions());
  return (
    <section aria-labelledby="api-keys" className="space-y-3">
      <h2 id="api-keys" className="text-lg font-semibold">
        {t('keys.title')}
      </h2>
      <p className="text-sm text-gray-800">
        {t('keys.intro')}{' '}
        <a href="/api/docs" className="text-indigo-700 underline">
          {t('keys.docs')}
        </a>
      </p>
      <ApiKeyForm />
      {keys.isPending ? <Loading /> : null}
      {keys.error ? <ErrorNote error={keys.error} /> : null}
      {keys.data?.length === 0 ? <p className="text-gray-700">{t('keys.none')}</p> : null}
      <ul className="space-y-2">
        {keys.data?.map((key) => (
          <ApiKeyItem key={key.id} apiKey={key} />
        ))}
      </ul>
    </section>
  );
}

function ApiKeyItem({ apiKey }: { apiKey: ApiKeyView }) {
  const { t, language } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const revoke = useMutation(
    trpc.apiKeys.revoke.mutationOptions({
      onSuccess: () => queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() }),
    }),
  );
  const date = (value: Date) => value.toLocaleString(language);
  const expired = apiKey.expiresAt !== null && apiKey.expiresAt.getTime() <= Date.now();
  const usable = !apiKey.revokedAt && !expired;
  return (
    <li
      data-testid="api-key"
      className={`space-y-2 rounded-lg border p-3 ${usable ? 'border-gray-200 bg-white' : 'border-gray-200 bg-gray-100'}`}
    >
      <div className="flex flex-wrap items-baseline justify-between gap-2">
        <h3 className="font-semibold break-all">{apiKey.name}</h3>
        {apiKey.revokedAt ? (
          <span className="text-sm font-medium text-red-800">
            {t('keys.revoked', { date: date(apiKey.revokedAt) })}
          </span>
        ) : expired ? (
          <span className="text-sm font-medium text-red-800">{t('keys.expired')}</span>
        ) : null}
      </div>
      <dl className="grid grid-cols-[auto_1fr] gap-x-3 gap-y-1 text-sm">
        <dt className="text-gray-700">{t('keys.prefix')}</dt>
        <dd>
          <code>{apiKey.prefix}</code>
        </dd>
        <dt className="text-gray-700">{t('keys.scopes')}</dt>
        <dd>{apiKey.scopes.join(', ')}</dd>
        <dt className="text-gray-700">{t('keys.created')}</dt>
        <dd>{date(apiKey.createdAt)}</dd>
        <dt className="text-gray-700">{t('keys.lastUsed')}</dt>
        <dd>{apiKey.lastUsedAt ? date(apiKey.lastUsedAt) : t('keys.notUsed')}</dd>
        <dt className="text-gray-700">{t('keys.expires')}</dt>
        <dd>{apiKey.expiresAt ? date(apiKey.expiresAt) : t('keys.never')}</dd>
      </dl>
      {apiKey.revokedAt ? null : confirming ? (
        <div role="group" aria-label={t('keys.revokeName', { name: apiKey.name })} className="space-y-2">
          <p className="text-sm text-gray-900">{t('keys.revokeConfirm', { name: apiKey.name })}</p>
          <div className="flex gap-2">
            <button
              type="button"
              disabled={revoke.isPending}
              onClick={() => revoke.mutate({ apiKeyId: apiKey.id })}
              className="rounded bg-red-700 px-3 py-1 text-sm font-medium text-white"
            >
              {t('keys.revoke')}
            </button>
            <button
              type="button"
              onClick={() => setConfirming(false)}
              className="rounded border border-gray-400 bg-white px-3 py-1 text-sm"
            >
              {t('keys.cancel')}
            </button>
          </div>
        </div>
      ) : (
        <button
          type="button"
          aria-label={t('keys.revokeName', { name: apiKey.name })}
          onClick={() => setConfirming(true)}
          className="rounded border border-red-700 px-3 py-1 text-sm text-red-800"
        >
          {t('keys.revoke')}
        </button>
      )}
      {revoke.error ? <ErrorNote error={revoke.error} /> : null}
    </li>
  );
}
