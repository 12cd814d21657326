import { useQuery } from '@tanstack/react-query';
import { useTRPC } from './trpc';

/** Who is signed in (user null when nobody) and which sign-in methods the server offers. */
export function useSession() {
  const trpc = useTRPC();
  return useQuery({ ...trpc.auth.session.queryOptions(), staleTime: 60_000 });
}
