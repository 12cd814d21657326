import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type FormEvent } from 'react';
import { Link, useParams } from 'react-router';
import { LikeButton } from '../components/like-button';
import { FollowButton } from '../components/follow-button';
import { OwnerControls } from '../components/owner-controls';
import { ErrorNote, Loading } from '../components/status';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { useTRPC } from '../trpc';

/** One generation: the image, artist and style, likes, and comments with one level of replies. */
export function GenerationPage() {
  const { generationId = '' } = useParams();
  const { t } = useI18n();
  const trpc = useTRPC();
  const generation = useQuery(trpc.generations.byId.queryOptions({ generationId }));
  const comments = useQuery(trpc.comments.list.queryOptions({ generationId, limit: 50 }));
  const signedIn = Boolean(useSession().data?.user);
  if (generation.isPending) return <Loading />;
  if (generation.error) return <ErrorNote error={generation.error} />;
  const g = generation.data;
  return (
    <article className="mx-auto max-w-2xl space-y-4">
      <h1 className="text-xl font-bold">{t('generation.title')}</h1>
      {g.resultUrl ? (
        <img
          src={g.resultUrl}
          alt={g.promptTags.join(', ') || g.style.name}
          width={g.width}
          height={g.height}
          className="w-full rounded-xl bg-gray-100"
        />
      ) : null}
      <p className="text-gray-800">
        <Link to={`/u/${g.author.id}`} className="underline">
          {t('feed.by', { name: g.author.username })}
        </Link>{' '}
        ·{' '}
        <Link to={`/styles/${g.style.id}`} className="font-medium text-indigo-700 underline">
          {t('feed.in', { style: g.style.name })}
        </Link>
      </p>
      {g.promptTags.length ? (
        <ul className="flex flex-wrap gap-2" aria-label={t('style.tags')}>
          {g.promptTags.map((tag) => (
            <li key={tag} className="rounded-full bg-gray-200 px-2 py-0.5 text-sm text-gray-800">
              #{tag}
            </li>
          ))}
        </ul>
      ) : null}
      {g.description ? <p className="text-gray-800">{g.description}</p> : null}
      {g.owner && g.status === 'completed' ? (
        <OwnerControls generationId={g.id} isPublic={g.owner.isPublic} description={g.description} />
      ) : null}
      <p className="text-sm">
        <Link to="/verify" className="text-indigo-700 underline">
          {t('nav.verify')}
        </Link>
      </p>
      <div className="flex items-center gap-3">
        <LikeButton generationId={g.id} isLiked={g.isLiked} likeCount={g.likeCount} />
        {signedIn && !g.owner ? <FollowButton userId={g.author.id} username={g.author.username} /> : null}
      </div>
      <section className="space-y-3">
        <h2 className="text-lg font-semibold">{t('generation.comments')}</h2>
        {comments.error ? <ErrorNote error={comments.error} /> : null}
        <ul className="space-y-3">
          {comments.data?.items.map((thread) => (
            <li key={thread.id} className="rounded-lg bg-white p-3 shadow-sm">
              <Comment author={thread.author.username} content={thread.content} />
              <ul className="mt-2 space-y-2 border-l-2 border-gray-200 pl-3">
                {thread.replies.map((reply) => (
                  <li key={reply.id}>
                    <Comment author={reply.author.username} content={reply.content} />
                  </li>
                ))}
              </ul>
              {signedIn ? <CommentForm generationId={g.id} parentId={thread.id} /> : null}
            </li>
          ))}
        </ul>
        {signedIn ? (
          <CommentForm generationId={g.id} parentId={null} />
        ) : (
          <Link to="/sign-in" className="text-indigo-700 underline">
            {t('auth.needed')}
          </Link>
        )}
      </section>
    </article>
  );
}

function Comment({ author, content }: { author: string; content: string }) {
  return (
    <p className="text-sm text-gray-800">
      <span className="font-semibold">{author}</span> {content}
    </p>
  );
}

function CommentForm({ generationId, parentId }: { generationId: string; parentId: string | null }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [content, setContent] = useState('');
  const create = useMutation(
    trpc.comments.create.mutationOptions({
      onSuccess: async () => {
        setContent('');
        await queryClient.invalidateQueries({
          queryKey: trpc.comments.list.queryKey({ generationId, limit: 50 }),
        });
      },
    }),
  );
  const label = parentId ? t('generation.replyLabel') : t('generation.commentLabel');
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (content.trim()) create.mutate({ generationId, content, parentId });
  };
  return (
    <form onSubmit={submit} className="mt-2 flex gap-2">
      <input
        aria-label={label}
        placeholder={label}
        value={content}
        onChange={(event) => setContent(event.target.value)}
        className="min-w-0 flex-1 rounded border border-gray-300 px-2 py-1 text-sm"
      />
      <button
        type="submit"
        disabled={create.isPending}
        className="rounded bg-indigo-700 px-3 py-1 text-sm text-white"
      >
        {parentId ? t('generation.reply') : t('generation.post')}
      </button>
      {create.error ? <ErrorNote error={create.error} /> : null}
    </form>
  );
}
