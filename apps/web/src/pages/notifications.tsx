import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import { Link, Navigate } from 'react-router';
import { ErrorNote, Loading } from '../components/status';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/en';
import { useSession } from '../session';
import { useTRPC } from '../trpc';

/** Where a notification leads: the generation liked or commented on; a follower has no page yet. */
function targetPath(n: {
  targetType: string;
  targetId: string;
  metadata: Record<string, unknown>;
}): string | null {
  if (n.targetType === 'generation') return `/g/${n.targetId}`;
  if (n.targetType === 'style') return `/styles/${n.targetId}`;
  const generationId = n.metadata.generationId;
  return typeof generationId === 'string' ? `/g/${generationId}` : null;
}

/** My notifications, newest first (the list refreshes live through the header bell's stream). */
export function NotificationsPage() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const session = useSession();
  const signedIn = Boolean(session.data?.user);
  const list = useInfiniteQuery(
    trpc.notifications.list.infiniteQueryOptions(
      { limit: 20 },
      { enabled: signedIn, getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  const refresh = {
    onSettled: () => queryClient.invalidateQueries({ queryKey: trpc.notifications.pathKey() }),
  };
  const markRead = useMutation(trpc.notifications.markRead.mutationOptions(refresh));
  const markAll = useMutation(trpc.notifications.markAllRead.mutationOptions(refresh));
  if (session.data && !signedIn) return <Navigate to="/sign-in" replace />;
  const items = list.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <section className="space-y-4">
      <div className="flex items-center justify-between">
        <h1 className="text-2xl font-bold">{t('nav.notifications')}</h1>
        <button
          type="button"
          onClick={() => markAll.mutate()}
          className="rounded bg-gray-200 px-3 py-1 text-sm text-gray-900"
        >
          {t('notifications.markAll')}
        </button>
      </div>
      {list.isPending ? <Loading /> : null}
      {list.error ? <ErrorNote error={list.error} /> : null}
      {list.data && items.length === 0 ? <p className="text-gray-700">{t('common.empty')}</p> : null}
      <ul className="divide-y divide-gray-200 rounded-xl border border-gray-200 bg-white">
        {items.map((n) => {
          const path = targetPath(n);
          const text = t(`notifications.${n.type}` as MessageKey, { name: n.actor?.username ?? '' });
          return (
            <li
              key={n.id}
              data-testid="notification"
              className={`flex items-center gap-2 p-3 ${n.isRead ? '' : 'bg-indigo-50'}`}
            >
              {n.thumbnailUrl ? (
                <img
                  src={n.thumbnailUrl}
                  alt=""
                  width={40}
                  height={40}
                  loading="lazy"
                  data-testid="notification-thumbnail"
                  className="h-10 w-10 shrink-0 rounded bg-gray-100 object-cover"
                />
              ) : null}
              {path ? (
                <Link
                  to={path}
                  className="flex-1 text-gray-900 underline"
                  onClick={() => markRead.mutate({ notificationId: n.id })}
                >
                  {text}
                </Link>
              ) : (
                <span className="flex-1 text-gray-900">{text}</span>
              )}
              <time className="text-xs text-gray-700" dateTime={n.createdAt.toISOString()}>
                {n.createdAt.toLocaleString()}
              </time>
            </li>
          );
        })}
      </ul>
    </section>
  );
}
