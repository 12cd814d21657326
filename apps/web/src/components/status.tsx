import { errorCodeOf } from '../trpc';
import { useI18n } from '../i18n';

export function Loading() {
  const { t } = useI18n();
  return <p className="py-8 text-center text-gray-600">{t('common.loading')}</p>;
}

/** A failed call in plain words, with the SPEC code for support. */
export function ErrorNote({ error }: { error: unknown }) {
  const { t } = useI18n();
  const code = errorCodeOf(error);
  const message = error instanceof Error ? error.message : String(error);
  return (
    <p role="alert" className="rounded border border-red-200 bg-red-50 p-3 text-sm text-red-800">
      {t('common.error', { message: code ? `${message} (${code})` : message })}
    </p>
  );
}
