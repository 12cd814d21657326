import { createStyleLicenseClient } from '@stylelicense/client';
import { QueryClient } from '@tanstack/react-query';
import { createTRPCContext } from '@trpc/tanstack-react-query';
import type { AppRouter } from '@stylelicense/api';

export { errorCodeOf } from '@stylelicense/client';

/** The API is this page's own origin (served by it, or proxied by Vite in development). */
export const trpcClient = createStyleLicenseClient({ url: '' });

export const { TRPCProvider, useTRPC } = createTRPCContext<AppRouter>();

export const queryClient = new QueryClient({
  defaultOptions: { queries: { staleTime: 10_000, retry: 1, refetchOnWindowFocus: false } },
});
