import { Link } from 'react-router';
import type { inferRouterOutputs } from '@trpc/server';
import type { AppRouter } from '@stylelicense/api';
import { useI18n } from '../i18n';
import { LikeButton } from './like-button';

export type GenerationView = inferRouterOutputs<AppRouter>['generations']['byId'];

/** One public generation: the signed image, who made it in which style, likes and comments. */
export function GenerationCard({
  generation,
  eager = false,
}: {
  generation: GenerationView;
  eager?: boolean;
}) {
  const { t } = useI18n();
  return (
    <article className="overflow-hidden rounded-xl border border-gray-200 bg-white shadow-sm">
      <Link to={`/g/${generation.id}`} className="block">
        {generation.resultUrl ? (
          <img
            src={generation.resultUrl}
            alt={generation.promptTags.join(', ') || generation.style.name}
            width={generation.width}
            height={generation.height}
            loading={eager ? 'eager' : 'lazy'}
            className="aspect-square w-full bg-gray-100 object-cover"
          />
        ) : (
          <div className="aspect-square w-full bg-gray-100" />
        )}
      </Link>
      <div className="space-y-1 p-3">
        <p className="text-sm text-gray-700">
          <Link to={`/u/${generation.author.id}`} className="underline">
            {t('feed.by', { name: generation.author.username })}
          </Link>{' '}
          ·{' '}
          <Link to={`/styles/${generation.style.id}`} className="font-medium text-indigo-700 underline">
            {t('feed.in', { style: generation.style.name })}
          </Link>
        </p>
        <div className="flex items-center justify-between">
          <LikeButton
            generationId={generation.id}
            isLiked={generation.isLiked}
            likeCount={generation.likeCount}
          />
          <Link to={`/g/${generation.id}`} className="text-sm text-gray-700 underline">
            {t('feed.comments', { count: generation.commentCount })}
          </Link>
        </div>
      </div>
    </article>
  );
}
