import { Link } from 'react-router';
import { useI18n } from '../i18n';

export function NotFoundPage() {
  const { t } = useI18n();
  return (
    <section className="py-10 text-center">
      <h1 className="text-2xl font-bold">{t('notFound.title')}</h1>
      <Link to="/" className="text-indigo-700 underline">
        {t('nav.feed')}
      </Link>
    </section>
  );
}
