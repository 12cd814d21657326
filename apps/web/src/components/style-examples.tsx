import { useQuery } from '@tanstack/react-query';
import { Link } from 'react-router';
import { useI18n } from '../i18n';
import { useTRPC } from '../trpc';

/** Images other people made with this style and published, most liked first. */
export function StyleExamples({ styleId }: { styleId: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const examples = useQuery(trpc.styles.examples.queryOptions({ styleId }));
  if (!examples.data || examples.data.length === 0) return null;
  return (
    <section aria-labelledby="style-examples" className="space-y-2">
      <h2 id="style-examples" className="text-lg font-semibold">
        {t('style.examples')}
      </h2>
      <ul className="grid grid-cols-3 gap-2 sm:grid-cols-4">
        {examples.data.map((example) => (
          <li key={example.id} data-testid="style-example">
            <Link to={`/g/${example.id}`}>
              <img
                src={example.imageUrl}
                alt={example.promptTags.join(', ')}
                width={example.width}
                height={example.height}
                loading="lazy"
                className="aspect-square w-full rounded-lg bg-gray-100 object-cover"
              />
            </Link>
          </li>
        ))}
      </ul>
    </section>
  );
}

/** Tags that worked with this style; picking one adds it to the prompt. */
export function RecommendedTags({
  styleId,
  chosen,
  onPick,
}: {
  styleId: string;
  chosen: readonly string[];
  onPick: (tag: string) => void;
}) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const tags = useQuery(trpc.styles.recommendedTags.queryOptions({ styleId }));
  const open = (tags.data ?? []).filter(({ tag }) => !chosen.includes(tag));
  if (open.length === 0) return null;
  return (
    <div className="space-y-1">
      <p className="text-sm text-gray-700" id="recommended-tags">
        {t('style.recommended')}
      </p>
      <ul className="flex flex-wrap gap-1" aria-labelledby="recommended-tags">
        {open.map(({ tag }) => (
          <li key={tag}>
            <button
              type="button"
              onClick={() => onPick(tag)}
              aria-label={t('style.addTag', { tag })}
              className="rounded-full border border-gray-300 px-2 py-0.5 text-sm text-gray-800"
            >
              #{tag}
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
