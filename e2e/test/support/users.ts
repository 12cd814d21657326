import { createStyleLicenseClient, type StyleLicenseClient } from '@stylelicense/client';
import { EventSource } from 'eventsource';
import { WEB_ORIGIN } from './stack';

export interface SignedInUser {
  client: StyleLicenseClient;
  userId: string;
  username: string;
}

/** A person at the web app: dev sign-in over HTTP, the session cookie kept in a one-cookie jar. */
export async function signIn(apiUrl: string, username: string): Promise<SignedInUser & { created: boolean }> {
  let cookie: string | undefined;
  const jarFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const set = response.headers.getSetCookie().find((c) => c.startsWith('sl_session='));
    if (set) cookie = set.split(';')[0];
    return response;
  };
  const client = createStyleLicenseClient({
    url: apiUrl,
    origin: WEB_ORIGIN,
    fetch: jarFetch,
    cookie: () => cookie,
    EventSource,
  });
  const { userId, created } = await client.auth.devSignIn.mutate({ username });
  return { client, userId, username, created };
}

/** Everything a subscription delivers, until stopped (errors kept, not thrown: the walk reports them). */
export function watch<T>(
  subscribe: (handlers: { onData: (data: T) => void; onError: (error: unknown) => void }) => {
    unsubscribe(): void;
  },
) {
  const items: T[] = [];
  const errors: unknown[] = [];
  const subscription = subscribe({
    onData: (data) => void items.push(data),
    onError: (error) => void errors.push(error),
  });
  return { items, errors, stop: () => subscription.unsubscribe() };
}
