import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { NavLink } from 'react-router';
import { useI18n } from '../i18n';
import { useTRPC } from '../trpc';

/** The header's bell: the unread count, raised live as notifications arrive over SSE. */
export function NotificationBell() {
  const { t } = useI18n();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const unread = useQuery(trpc.notifications.unreadCount.queryOptions());
  useSubscription(
    trpc.notifications.onNew.subscriptionOptions(undefined, {
      onData: () => void queryClient.invalidateQueries({ queryKey: trpc.notifications.pathKey() }),
    }),
  );
  const count = unread.data?.count ?? 0;
  return (
    <NavLink
      to="/notifications"
      // Busy until the unread count has loaded: "no badge" means none unread only after that.
      aria-busy={unread.isPending}
      aria-label={count ? `${t('nav.notifications')}: ${t('nav.unread', { count })}` : t('nav.notifications')}
      className="relative rounded p-1 text-gray-800 hover:bg-gray-100"
    >
      <svg
        aria-hidden="true"
        viewBox="0 0 24 24"
        className="h-6 w-6"
        fill="none"
        stroke="currentColor"
        strokeWidth={1.8}
      >
        <path
          d="M6 16V11a6 6 0 1 1 12 0v5l1.5 2h-15L6 16Zm4 4h4"
          strokeLinecap="round"
          strokeLinejoin="round"
        />
      </svg>
      {count ? (
        <span
          data-testid="unread-badge"
          className="absolute -top-1 -right-1 rounded-full bg-red-700 px-1.5 text-xs font-bold text-white"
        >
          {count}
        </span>
      ) : null}
    </NavLink>
  );
}
