import { useMutation, useQueryClient } from '@tanstack/react-query';
import { NavLink, Outlet, useNavigate, type NavLinkProps } from 'react-router';
import { useI18n } from '../i18n';
import type { MessageKey } from '../i18n/en';
import { useSession } from '../session';
import { NotificationBell } from './notification-bell';
import { useTRPC } from '../trpc';

const NAV: Array<{ to: string; label: MessageKey; icon: string }> = [
  { to: '/', label: 'nav.feed', icon: 'M3 5h18M3 12h18M3 19h18' },
  { to: '/market', label: 'nav.market', icon: 'M4 7h16l-1.5 12h-13L4 7Zm4 0a4 4 0 0 1 8 0' },
  { to: '/history', label: 'nav.history', icon: 'M12 7v5l3 3M21 12a9 9 0 1 1-18 0 9 9 0 0 1 18 0Z' },
  { to: '/tokens', label: 'nav.tokens', icon: 'M12 3a9 9 0 1 0 0 18 9 9 0 0 0 0-18Zm0 4v10m-3-7h6' },
];
const PROFILE_ICON = 'M12 12a4 4 0 1 0 0-8 4 4 0 0 0 0 8Zm-7 8a7 7 0 0 1 14 0';

function Icon({ path }: { path: string }) {
  return (
    <svg
      aria-hidden="true"
      viewBox="0 0 24 24"
      className="h-6 w-6"
      fill="none"
      stroke="currentColor"
      strokeWidth={1.8}
    >
      <path d={path} strokeLinecap="round" strokeLinejoin="round" />
    </svg>
  );
}

const navClass: NavLinkProps['className'] = ({ isActive }) =>
  isActive ? 'text-indigo-700 font-semibold' : 'text-gray-700 hover:text-indigo-700';

/** Header (brand, language, account), the page, and a bottom navigation on phones. */
export function Layout() {
  const { t, language, setLanguage } = useI18n();
  const session = useSession();
  const user = session.data?.user;
  const nav = user
    ? [...NAV, { to: `/u/${user.id}`, label: 'nav.profile' as const, icon: PROFILE_ICON }]
    : NAV;
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const signOut = useMutation(
    trpc.auth.signOut.mutationOptions({
      onSuccess: async () => {
        queryClient.clear();
        await navigate('/');
      },
    }),
  );
  return (
    <div className="min-h-screen pb-20 md:pb-0">
      <header className="sticky top-0 z-10 border-b border-gray-200 bg-white/95 backdrop-blur">
        <div className="mx-auto flex max-w-5xl items-center gap-4 px-4 py-3">
          <NavLink to="/" className="text-lg font-bold text-indigo-700">
            {t('app.name')}
          </NavLink>
          <nav aria-label={t('nav.main')} className="hidden gap-5 md:flex">
            {nav.map((item) => (
              <NavLink key={item.to} to={item.to} end className={navClass}>
                {t(item.label)}
              </NavLink>
            ))}
          </nav>
          <div className="ml-auto flex items-center gap-3 text-sm">
            <button
              type="button"
              className="rounded px-2 py-1 text-gray-700 hover:bg-gray-100"
              onClick={() => setLanguage(language === 'en' ? 'ko' : 'en')}
            >
              {t('nav.language')}
            </button>
            {user ? (
              <>
                <NotificationBell />
                <span className="hidden text-gray-700 sm:inline">{user.username}</span>
                <button
                  type="button"
                  className="rounded border border-gray-300 px-3 py-1 hover:bg-gray-100"
                  onClick={() => signOut.mutate()}
                >
                  {t('auth.signOut')}
                </button>
              </>
            ) : session.data ? (
              <NavLink to="/sign-in" className="rounded bg-indigo-700 px-3 py-1 font-medium text-white">
                {t('auth.signIn')}
              </NavLink>
            ) : null}
          </div>
        </div>
      </header>
      <main className="mx-auto max-w-5xl px-4 py-4">
        <Outlet />
      </main>
      <footer className="mx-auto max-w-5xl border-t border-gray-200 px-4 py-4 text-sm">
        <NavLink to="/verify" className={navClass}>
          {t('nav.verify')}
        </NavLink>
      </footer>
      <nav
        aria-label={t('nav.main')}
        className="fixed inset-x-0 bottom-0 z-10 flex justify-around border-t border-gray-200 bg-white py-2 md:hidden"
      >
        {nav.map((item) => (
          <NavLink
            key={item.to}
            to={item.to}
            end
            className={({ isActive }) =>
              `flex flex-col items-center text-xs ${isActive ? 'text-indigo-700' : 'text-gray-600'}`
            }
          >
            <Icon path={item.icon} />
            {t(item.label)}
          </NavLink>
        ))}
      </nav>
    </div>
  );
}
