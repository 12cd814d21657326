import { randomBytes } from 'node:crypto';
import type { AppDeps } from '../deps';
import type { Viewer } from '../common/viewer';

/**
 * A few seconds of memory for what every anonymous visitor sees alike (catalogue, feed and search
 * first pages): one database read per key per TTL however many visitors ask, and concurrent misses
 * share that one read. Signed-in callers read the same entries and add their own part (publicRead).
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

  /** Drops the entries whose key starts with `prefix`: their next reader reads afresh. */
  forget(prefix: string): void {
    for (const key of [...this.entries.keys()]) if (key.startsWith(prefix)) this.entries.delete(key);
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
 * Turns the shared page into one viewer's. It must work alike on the page and on its JSON form (the
 * shared page as serialized once): it reads ids and sets plain values (booleans), copies what it
 * changes and never changes what it was given.
 */
export type Personalize<T> = (page: T) => T;

/** A viewer's page: the shared page it was made from and how (to serialize it from the shared bytes). */
const personalPages = new WeakMap<object, { shared: object; personalize: Personalize<unknown> }>();

/**
 * The response serializer, wrapped so that a cached result shared by many visitors is serialized
 * once (per object, while it lives), not once per request, and a viewer's page made from it is that
 * one serialization with the viewer's overlay applied (superjson's walk was most of a request's
 * CPU). Anything else goes straight through. `toChunks` is the same as UTF-8 JSON, in pieces: a
 * viewer's page is then the shared page's bytes with the booleans of the viewer's page put in its
 * slots, not a stringify of the page.
 */
export function sharedResultSerializer<T extends { json: unknown }>(
  serialize: (value: unknown) => T,
): { serialize: (value: unknown) => T; toChunks: (value: unknown) => Buffer[] } {
  const once = (value: object): T => {
    if (!sharedResults.has(value)) return serialize(value);
    let serialized = serializedResults.get(value) as T | undefined;
    if (serialized === undefined) serializedResults.set(value, (serialized = serialize(value)));
    return serialized;
  };
  const personalized = (value: unknown): T => {
    if (typeof value !== 'object' || value === null) return serialize(value);
    const personal = personalPages.get(value);
    if (!personal) return once(value);
    const shared = once(personal.shared);
    return { ...shared, json: personal.personalize(shared.json) };
  };
  return {
    serialize: personalized,
    toChunks(value) {
      const personal = typeof value === 'object' && value !== null ? personalPages.get(value) : undefined;
      if (!personal) return [Buffer.from(JSON.stringify(personalized(value)))];
      const shared = once(personal.shared);
      let template = pageTemplates.get(shared);
      if (!template) pageTemplates.set(shared, (template = pageTemplate(shared)));
      // The viewer's page has the shared page's shape: its booleans sit where the JSON form's do.
      return fillTemplate(template, value);
    },
  };
}

/** `sharedResultSerializer`'s serializer alone. */
export function serializeOncePerSharedResult<T extends { json: unknown }>(
  serialize: (value: unknown) => T,
): (value: unknown) => T {
  return sharedResultSerializer(serialize).serialize;
}

/**
 * A serialized shared page as UTF-8 JSON cut at each boolean of its `json` (the only values an
 * overlay sets): `segments[i]`, then the value at `paths[i]`, then `segments[i + 1]`, and so on.
 */
interface PageTemplate {
  segments: Buffer[];
  paths: Array<Array<string | number>>;
}
const pageTemplates = new WeakMap<object, PageTemplate>();
/** Stands for a boolean while the template is cut; random, so no text on a page can be taken for it. */
const SLOT = `"slot:${randomBytes(12).toString('hex')}"`;
const TRUE = Buffer.from('true');
const FALSE = Buffer.from('false');

function pageTemplate(serialized: { json: unknown }): PageTemplate {
  const paths: PageTemplate['paths'] = [];
  // Walks in JSON.stringify's order (own enumerable keys, arrays by index), so slot i is paths[i].
  const slotted = (value: unknown, path: Array<string | number>): unknown => {
    if (typeof value === 'boolean') {
      paths.push(path);
      return JSON.parse(SLOT) as string;
    }
    if (Array.isArray(value)) return value.map((item, i) => slotted(item, [...path, i]));
    if (typeof value === 'object' && value !== null)
      return Object.fromEntries(
        Object.entries(value).map(([key, item]) => [key, slotted(item, [...path, key])]),
      );
    return value;
  };
  const text = JSON.stringify({ ...serialized, json: slotted(serialized.json, []) });
  return { segments: text.split(SLOT).map((segment) => Buffer.from(segment)), paths };
}

/** The page's JSON as chunks: the template's bytes, shared, with `json`'s booleans between them. */
function fillTemplate({ segments, paths }: PageTemplate, json: unknown): Buffer[] {
  const chunks = [segments[0]!];
  for (let i = 0; i < paths.length; i++) {
    let value = json;
    for (const key of paths[i]!) value = (value as Record<string | number, unknown>)[key];
    if (typeof value !== 'boolean')
      throw new Error(`an overlay set json.${paths[i]!.join('.')} to a non-boolean`);
    chunks.push(value ? TRUE : FALSE, segments[i + 1]!);
  }
  return chunks;
}

const caches = new WeakMap<AppDeps['config'], PublicReadCache>();

/**
 * After a write that changes shared pages (an image published or withdrawn), this process forgets
 * them, so the writer sees their own change on their next page. Other API instances, and anonymous
 * visitors' HTTP page cache, catch up within the TTL as before.
 */
export function forgetPublicReads({ deps }: { deps: Pick<AppDeps, 'config'> }, prefix: string): void {
  caches.get(deps.config)?.forget(prefix);
}

/**
 * A page that is the same for everyone (catalogue, feed, search) read through the process's cache,
 * for anonymous and signed-in callers alike; a signed-in caller's page is that shared page with
 * `overlay`'s personal part merged in, read afresh on every call (never cached: their own likes and
 * follows show at once, while counts may lag by the TTL as for anyone). A request that rebuilds an
 * expired HTTP page (publicResponseCache) reads afresh, so a page is never built from a result older
 * than the TTL.
 */
export async function publicRead<T extends object>(
  {
    deps,
    viewer,
    pageRefill,
  }: { deps: Pick<AppDeps, 'config'>; viewer: Viewer | null; pageRefill?: boolean },
  key: string,
  load: () => Promise<T>,
  overlay: (shared: T, viewer: Viewer) => Promise<Personalize<T>>,
): Promise<T> {
  let cache = caches.get(deps.config);
  if (!cache) caches.set(deps.config, (cache = new PublicReadCache(deps.config.PUBLIC_CACHE_SECONDS * 1000)));
  const shared = await (pageRefill ? cache.refresh(key, load) : cache.get(key, load));
  if (!viewer) return shared;
  const personalize = await overlay(shared, viewer);
  const page = personalize(shared);
  // An overlay that changed nothing must not mark the shared page itself as this viewer's.
  if (page !== shared) personalPages.set(page, { shared, personalize: personalize as Personalize<unknown> });
  return page;
}
