import { createBrowserRouter } from 'react-router';
import { Layout } from './components/layout';

/** Every page is its own chunk: the first visit downloads the shell and the page it opens. */
export const router = createBrowserRouter([
  {
    Component: Layout,
    children: [
      { index: true, lazy: async () => ({ Component: (await import('./pages/feed')).FeedPage }) },
      {
        path: 'g/:generationId',
        lazy: async () => ({ Component: (await import('./pages/generation')).GenerationPage }),
      },
      { path: 'market', lazy: async () => ({ Component: (await import('./pages/market')).MarketPage }) },
      {
        path: 'styles/:styleId',
        lazy: async () => ({ Component: (await import('./pages/style')).StylePage }),
      },
      {
        path: 'studio/new',
        lazy: async () => ({ Component: (await import('./pages/new-style')).NewStylePage }),
      },
      { path: 'history', lazy: async () => ({ Component: (await import('./pages/history')).HistoryPage }) },
      { path: 'tokens', lazy: async () => ({ Component: (await import('./pages/tokens')).TokensPage }) },
      {
        path: 'notifications',
        lazy: async () => ({ Component: (await import('./pages/notifications')).NotificationsPage }),
      },
      { path: 'u/:userId', lazy: async () => ({ Component: (await import('./pages/profile')).ProfilePage }) },
      { path: 'verify', lazy: async () => ({ Component: (await import('./pages/verify')).VerifyPage }) },
      { path: 'sign-in', lazy: async () => ({ Component: (await import('./pages/sign-in')).SignInPage }) },
      { path: '*', lazy: async () => ({ Component: (await import('./pages/not-found')).NotFoundPage }) },
    ],
  },
]);
