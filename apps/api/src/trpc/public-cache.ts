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
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > Date.now()) return hit.value as Promise<T>;
    return this.refresh(key, load);
  }

  /** Reads afresh and keeps that for the TTL (the HTTP page cache rebuilding a page asks this). */
  refresh<T>(key: string, load: () => Promise<T>): Promise<T> {
    if (this.ttlMs <= 0) return load();
    const now = Date.now();
    const value = load().then((result) => {
      if (typeof result === 'object' && result !== null) sharedResults.add(result);
      return result;
    });
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

/** Results handed to many callers from one read; nobody may change them (they are shared as-is). */
const sharedResults = new WeakSet<object>();
const serializedResults = new WeakMap<object, unknown>();

/**
 * Wraps the response serializer so that a cached result shared by many visitors is serialized once
 * (per object, while it lives), not once per request: on a cache hit superjson's walk was most of a
 * request's CPU. Anything else goes straight through.
 */
export function serializeOncePerSharedResult<T>(serialize: (value: unknown) => T): (value: unknown) => T {
  return (value) => {
    if (typeof value !== 'object' || value === null || !sharedResults.has(value)) return serialize(value);
    let serialized = serializedResults.get(value) as T | undefined;
    if (serialized === undefined) serializedResults.set(value, (serialized = serialize(value)));
    return serialized;
  };
}

const caches = new WeakMap<AppDeps['config'], PublicReadCache>();

/**
 * Anonymous reads through the process's cache; signed-in reads straight through. A request that
 * rebuilds an expired HTTP page (publicResponseCache) reads afresh, so a page is never built from
 * a result older than the TTL.
 */
export function publicRead<T>(
  { deps, viewer, pageRefill }: { deps: Pick<AppDeps, 'config'>; viewer: unknown; pageRefill?: boolean },
  key: string,
  load: () => Promise<T>,
): Promise<T> {
  if (viewer) return load();
  let cache = caches.get(deps.config);
  if (!cache) caches.set(deps.config, (cache = new PublicReadCache(deps.config.PUBLIC_CACHE_SECONDS * 1000)));
  return pageRefill ? cache.refresh(key, load) : cache.get(key, load);
}
