import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useI18n } from '../i18n';
import { useSession } from '../session';
import { useTRPC } from '../trpc';

/** Like in place: the count and heart change at once and settle on the server's answer. */
export function LikeButton(props: { generationId: string; isLiked: boolean; likeCount: number }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const session = useSession();
  const navigate = useNavigate();
  const [state, setState] = useState({ isLiked: props.isLiked, likeCount: props.likeCount });
  const settle = () => queryClient.invalidateQueries({ queryKey: trpc.generations.pathKey() });
  const like = useMutation(trpc.likes.like.mutationOptions({ onSettled: settle }));
  const unlike = useMutation(trpc.likes.unlike.mutationOptions({ onSettled: settle }));
  const toggle = () => {
    if (!session.data?.user) return void navigate('/sign-in');
    const next = !state.isLiked;
    setState((s) => ({ isLiked: next, likeCount: s.likeCount + (next ? 1 : -1) }));
    (next ? like : unlike).mutate(
      { generationId: props.generationId },
      { onError: () => setState({ isLiked: !next, likeCount: state.likeCount }) },
    );
  };
  return (
    <button
      type="button"
      aria-pressed={state.isLiked}
      onClick={toggle}
      className="flex items-center gap-1 rounded px-2 py-1 text-sm text-gray-800 hover:bg-gray-100"
    >
      <svg
        aria-hidden="true"
        viewBox="0 0 24 24"
        className="h-5 w-5"
        fill={state.isLiked ? '#e11d48' : 'none'}
        stroke="#e11d48"
        strokeWidth={1.8}
      >
        <path d="M12 20s-7-4.4-7-10a4 4 0 0 1 7-2.6A4 4 0 0 1 19 10c0 5.6-7 10-7 10Z" />
      </svg>
      {/* The action for screen readers, in the button's own text (no aria-label hiding the count). */}
      <span className="sr-only">{state.isLiked ? t('feed.unlike') : t('feed.like')}</span>
      <span>{t('feed.likes', { count: state.likeCount })}</span>
    </button>
  );
}
