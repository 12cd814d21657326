import type { AppDeps } from '../deps';

/**
 * A few seconds of memory for what every anonymous visitor sees alike (catalogue, feed and search
 * first pages): one database read per key per TTL however many visitors ask, and concurrent misses
 * share that one read. Signed-in callers never go through it (their pages carry `isLiked`, drafts).
 */
export class PublicReadCache {
  private readonly entries = new Map<string, { expiresAt: number; value: Promise<unknown> }>();

  constructor(
    private readonly ttlMs: number,
    private readonly maxEntries = 2_000,
  ) {}

  get<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.ttlMs <= 0) return load();
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value as Promise<T>;
    const value = load();
    this.entries.delete(key);
    this.entries.set(key, { expiresAt: now + this.ttlMs, value });
    // A failed read is not remembered.
    value.catch(() => {
      if (this.entries.get(key)?.value === value) this.entries.delete(key);
    });
    // Oldest first (Map keeps insertion order): bounded memory under many distinct queries.
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }
}

const caches = new WeakMap<AppDeps['config'], PublicReadCache>();

/** Anonymous reads through the process's cache; signed-in reads straight through. */
export function publicRead<T>(
  deps: Pick<AppDeps, 'config'>,
  viewer: unknown,
  key: string,
  load: () => Promise<T>,
): Promise<T> {
  if (viewer) return load();
  let cache = caches.get(deps.config);
  if (!cache) caches.set(deps.config, (cache = new PublicReadCache(deps.config.PUBLIC_CACHE_SECONDS * 1000)));
  return cache.get(key, load);
}
