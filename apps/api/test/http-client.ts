import superjson from 'superjson';

/**
 * A browser-like caller of the real HTTP API: keeps cookies between calls (like a cookie jar for one
 * origin), sends the web app's Origin on mutations, and exposes statuses and headers so tests can
 * assert what a client sees.
 */
export class Browser {
  readonly cookies = new Map<string, string>();
  constructor(
    readonly baseUrl: string,
    readonly origin: string | null = 'http://localhost:3000',
  ) {}

  cookieHeader(): string {
    return [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ');
  }

  /** Applies Set-Cookie headers (deletion = an expiry in the past or Max-Age=0). */
  absorb(response: Response): void {
    for (const line of response.headers.getSetCookie()) {
      const [pair = '', ...attributes] = line.split(';');
      const eq = pair.indexOf('=');
      const name = pair.slice(0, eq).trim();
      const value = pair.slice(eq + 1).trim();
      const expires = attributes.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('expires='));
      const maxAge = attributes.map((a) => a.trim()).find((a) => a.toLowerCase().startsWith('max-age='));
      const gone =
        value === '' ||
        (expires && new Date(expires.slice(8)).getTime() <= Date.now()) ||
        maxAge === 'Max-Age=0';
      if (gone) this.cookies.delete(name);
      else this.cookies.set(name, value);
    }
  }

  async fetch(
    path: string,
    init: RequestInit & { headers?: Record<string, string> } = {},
  ): Promise<Response> {
    const headers: Record<string, string> = { ...(init.headers ?? {}) };
    if (this.cookies.size > 0 && !('cookie' in headers)) headers.cookie = this.cookieHeader();
    const response = await fetch(`${this.baseUrl}${path}`, { redirect: 'manual', ...init, headers });
    this.absorb(response);
    return response;
  }

  query<T = unknown>(path: string, input?: unknown, headers: Record<string, string> = {}) {
    const qs =
      input === undefined ? '' : `?input=${encodeURIComponent(JSON.stringify(superjson.serialize(input)))}`;
    return this.settle<T>(this.fetch(`/trpc/${path}${qs}`, { headers }));
  }

  mutate<T = unknown>(path: string, input?: unknown, headers: Record<string, string> = {}) {
    return this.settle<T>(
      this.fetch(`/trpc/${path}`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          ...(this.origin ? { origin: this.origin } : {}),
          ...headers,
        },
        body: JSON.stringify(superjson.serialize(input ?? null)),
      }),
    );
  }

  private async settle<T>(pending: Promise<Response>): Promise<TrpcResult<T>> {
    const response = await pending;
    const body = (await response.json()) as { result?: { data: SuperJson }; error?: { json: TrpcError } };
    return {
      status: response.status,
      headers: response.headers,
      data: body.result ? superjson.deserialize<T>(body.result.data) : undefined,
      error: body.error?.json,
    };
  }
}

type SuperJson = Parameters<typeof superjson.deserialize>[0];
interface TrpcError {
  message: string;
  data: { code: string; httpStatus: number; details?: Record<string, unknown>; issues?: unknown[] };
}
export interface TrpcResult<T> {
  status: number;
  headers: Headers;
  data: T | undefined;
  error: TrpcError | undefined;
}

/** A Browser signed in through the dev sign-in as `username`; a refusal fails the test with its answer. */
export async function devSignedIn(
  baseUrl: string,
  username: string,
  origin?: string,
): Promise<{ browser: Browser; userId: string }> {
  const browser = new Browser(baseUrl, origin);
  const result = await browser.mutate<{ userId: string }>('auth.devSignIn', { username });
  if (result.status !== 200 || !result.data)
    throw new Error(`dev sign-in as ${username} answered ${result.status}: ${JSON.stringify(result.error)}`);
  return { browser, userId: result.data.userId };
}
