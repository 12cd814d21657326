import {
  createTRPCClient,
  httpBatchLink,
  httpSubscriptionLink,
  isTRPCClientError,
  splitLink,
  type TRPCClient,
} from '@trpc/client';
import superjson from 'superjson';
import type { AppRouter } from '@stylelicense/api';

export type { AppRouter };
export type StyleLicenseClient = TRPCClient<AppRouter>;

export interface StyleLicenseClientOptions {
  /** The API's base URL, e.g. `https://api.stylelicense.example` (tRPC lives under `/trpc`). */
  url: string;
  /**
   * A `Cookie` header for servers and scripts (browsers send their cookies themselves). A function
   * is read on every request, so a session cookie obtained later is picked up.
   */
  cookie?: string | (() => string | undefined);
  /**
   * The web app's origin, sent as `Origin` by non-browser callers: the API refuses cookie-carrying
   * writes that do not say where they come from (CSRF protection).
   */
  origin?: string;
  /** A fetch of your own (tests, cookie jars, instrumentation). */
  fetch?: typeof fetch;
  /** An EventSource for runtimes without one (Node: the `eventsource` package, whose init takes a `fetch`). */
  EventSource?: new (url: string, init?: never) => unknown;
}

/**
 * The typed Style License client: queries and mutations batched over HTTP, subscriptions (live
 * progress, notifications) over Server-Sent Events, superjson on the wire, cookies included.
 */
export function createStyleLicenseClient(options: StyleLicenseClientOptions): StyleLicenseClient {
  const base = options.url.replace(/\/+$/, '');
  const send = options.fetch ?? globalThis.fetch;
  const extraHeaders = (): Record<string, string> => {
    const cookie = typeof options.cookie === 'function' ? options.cookie() : options.cookie;
    return { ...(cookie ? { cookie } : {}), ...(options.origin ? { origin: options.origin } : {}) };
  };
  const withCredentials: typeof fetch = (input, init) => {
    const headers = new Headers(init?.headers);
    for (const [name, value] of Object.entries(extraHeaders())) headers.set(name, value);
    return send(input, { ...init, headers, credentials: 'include' });
  };
  return createTRPCClient<AppRouter>({
    links: [
      splitLink({
        condition: (op) => op.type === 'subscription',
        true: httpSubscriptionLink({
          url: `${base}/trpc`,
          transformer: superjson,
          ...(options.EventSource
            ? { EventSource: options.EventSource as unknown as typeof EventSource }
            : {}),
          // Browsers: withCredentials; the `eventsource` package: its fetch carries the cookie.
          eventSourceOptions: () => ({ withCredentials: true, fetch: withCredentials }) as EventSourceInit,
        }),
        false: httpBatchLink({
          url: `${base}/trpc`,
          transformer: superjson,
          fetch: withCredentials,
          maxItems: 20,
        }),
      }),
    ],
  });
}

/** The SPEC error code (`INSUFFICIENT_TOKENS`, `STYLE_NOT_READY`…) of a failed call, or null. */
export function errorCodeOf(error: unknown): string | null {
  if (!isTRPCClientError(error)) return null;
  const data = error.data as { code?: unknown } | undefined;
  return typeof data?.code === 'string' ? data.code : null;
}
