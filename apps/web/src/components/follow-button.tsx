import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { ErrorNote } from './status';
import { useI18n } from '../i18n';
import { useTRPC } from '../trpc';

/**
 * Follow or unfollow a person. Whether I already do comes from their profile (`isFollowing`), read
 * here when the page does not have it; after a click the profile is read again, so every page that
 * shows this person agrees.
 */
export function FollowButton({ userId, username }: { userId: string; username: string }) {
  const { t } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const profile = useQuery(trpc.users.byId.queryOptions({ userId }));
  const settle = {
    onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.users.byId.queryKey({ userId }) }),
  };
  const follow = useMutation(trpc.follows.follow.mutationOptions(settle));
  const unfollow = useMutation(trpc.follows.unfollow.mutationOptions(settle));
  const pending = follow.isPending || unfollow.isPending;
  const following = pending ? follow.isPending : Boolean(profile.data?.isFollowing);
  return (
    <>
      <button
        type="button"
        aria-pressed={following}
        disabled={profile.isPending || pending}
        onClick={() => (following ? unfollow : follow).mutate({ userId })}
        className="rounded-full border border-indigo-700 px-3 py-1 text-sm text-indigo-800 disabled:opacity-60"
      >
        {following
          ? t('generation.unfollow', { name: username })
          : t('generation.follow', { name: username })}
      </button>
      {follow.error ? <ErrorNote error={follow.error} /> : null}
      {unfollow.error ? <ErrorNote error={unfollow.error} /> : null}
    </>
  );
}
