import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { useI18n } from '../i18n';
import { useTRPC } from '../trpc';
import { ErrorNote } from './status';

type Scope = 'read' | 'generate';
const SCOPES: Array<{ scope: Scope; label: 'keys.scopeRead' | 'keys.scopeGenerate' }> = [
  { scope: 'read', label: 'keys.scopeRead' },
  { scope: 'generate', label: 'keys.scopeGenerate' },
];

/** The end of the chosen day where the person is: a key "expiring on" a day works through it. */
function endOfDay(day: string): Date {
  return new Date(`${day}T23:59:59.999`);
}

function today(): string {
  const now = new Date();
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
}

/** Creates a key; its secret is shown here once, with a copy button, until the person dismisses it. */
export function ApiKeyForm() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState('');
  const [scopes, setScopes] = useState<Scope[]>(['read']);
  const [expiry, setExpiry] = useState('');
  const [issued, setIssued] = useState<{ name: string; key: string } | null>(null);
  const [copied, setCopied] = useState<'yes' | 'refused' | null>(null);
  const create = useMutation(
    trpc.apiKeys.create.mutationOptions({
      onSuccess: async ({ key, apiKey }) => {
        setIssued({ name: apiKey.name, key });
        setCopied(null);
        setName('');
        setExpiry('');
        await queryClient.invalidateQueries({ queryKey: trpc.apiKeys.list.queryKey() });
      },
    }),
  );
  const submit = (event: FormEvent) => {
    event.preventDefault();
    create.mutate({ name: name.trim(), scopes, ...(expiry ? { expiresAt: endOfDay(expiry) } : {}) });
  };
  const toggle = (scope: Scope) =>
    setScopes((current) =>
      current.includes(scope) ? current.filter((other) => other !== scope) : [...current, scope],
    );
  // Inside a promise: where the clipboard is unavailable (a plain-http address) the call throws.
  const copy = (key: string) =>
    Promise.resolve(key)
      .then((text) => navigator.clipboard.writeText(text))
      .then(
        () => setCopied('yes'),
        () => setCopied('refused'),
      );
  return (
    <div className="space-y-3">
      {issued ? (
        <div
          role="region"
          aria-labelledby="new-key-title"
          className="space-y-2 rounded-xl border border-amber-300 bg-amber-50 p-4"
        >
          <h3 id="new-key-title" className="font-semibold text-amber-950">
            {t('keys.secretTitle', { name: issued.name })}
          </h3>
          <p className="text-sm text-amber-950">{t('keys.secretWarning')}</p>
          <code
            data-testid="api-key-secret"
            className="block rounded border border-amber-200 bg-white p-2 text-sm break-all select-all"
          >
            {issued.key}
          </code>
          <div className="flex flex-wrap items-center gap-2">
            <button
              type="button"
              onClick={() => void copy(issued.key)}
              className="rounded bg-indigo-700 px-3 py-1 text-sm font-medium text-white"
            >
              {t('keys.copy')}
            </button>
            <button
              type="button"
              onClick={() => setIssued(null)}
              className="rounded border border-gray-400 bg-white px-3 py-1 text-sm"
            >
              {t('keys.dismiss')}
            </button>
            <p role="status" className="text-sm text-gray-800">
              {copied === 'yes' ? t('keys.copied') : copied === 'refused' ? t('keys.copyFailed') : ''}
            </p>
          </div>
        </div>
      ) : null}
      <form onSubmit={submit} className="space-y-3 rounded-xl border border-gray-200 bg-white p-4">
        <h3 className="font-semibold">{t('keys.new')}</h3>
        <div className="space-y-1">
          <label className="block text-sm font-medium" htmlFor="key-name">
            {t('keys.name')}
          </label>
          <input
            id="key-name"
            required
            maxLength={100}
            value={name}
            onChange={(event) => setName(event.target.value)}
            className="w-full rounded border border-gray-300 px-2 py-1"
          />
        </div>
        <fieldset>
          <legend className="text-sm font-medium">{t('keys.scopes')}</legend>
          {SCOPES.map(({ scope, label }) => (
            <label key={scope} className="mt-1 flex items-center gap-2 text-sm">
              <input type="checkbox" checked={scopes.includes(scope)} onChange={() => toggle(scope)} />
              {t(label)}
            </label>
          ))}
        </fieldset>
        <div className="space-y-1">
          <label className="block text-sm font-medium" htmlFor="key-expiry">
            {t('keys.expiry')}
          </label>
          <input
            id="key-expiry"
            type="date"
            min={today()}
            value={expiry}
            onChange={(event) => setExpiry(event.target.value)}
            className="rounded border border-gray-300 px-2 py-1"
          />
        </div>
        <button
          type="submit"
          disabled={create.isPending || scopes.length === 0 || !name.trim()}
          className="rounded-lg bg-indigo-700 px-4 py-2 font-semibold text-white disabled:bg-gray-400"
        >
          {t('keys.create')}
        </button>
        {create.error ? <ErrorNote error={create.error} /> : null}
      </form>
    </div>
  );
}
