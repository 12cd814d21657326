import { createLogger, loadConfig, startApi, type ApiRuntime } from '@stylelicense/api';
import { createTestDatabase, type TestDatabase } from '@stylelicense/db/testing';
import { uploadToPresignedUrl } from '@stylelicense/storage';
import { freePort, makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { EventSource } from 'eventsource';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createStyleLicenseClient, errorCodeOf, type StyleLicenseClient } from '../src';

const WEB_ORIGIN = 'http://localhost:5173';
let database: TestDatabase;
let runtime: ApiRuntime;
let dataDir: TempDir;
let url: string;

beforeAll(async () => {
  database = await createTestDatabase();
  dataDir = await makeTempDir('client');
  const port = await freePort();
  const config = loadConfig({
    MODE: 'test',
    HOST: '127.0.0.1',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    WEB_ORIGIN,
    DATA_DIR: dataDir.path,
    DATABASE_URL: database.url,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_SIGN_IN: '100/60',
  });
  runtime = await startApi({ config, db: database.db, log: createLogger('silent') });
  url = runtime.http.url;
});
afterAll(async () => {
  await runtime?.stop();
  await database?.drop();
  await dataDir?.remove();
});

/** A signed-in client: dev sign-in over HTTP, the session cookie kept in a one-cookie jar. */
async function signedIn(username: string): Promise<{ client: StyleLicenseClient; userId: string }> {
  let cookie: string | undefined;
  const jarFetch: typeof fetch = async (input, init) => {
    const response = await fetch(input, init);
    const set = response.headers.getSetCookie().find((c) => c.startsWith('sl_session='));
    if (set) cookie = set.split(';')[0];
    return response;
  };
  const client = createStyleLicenseClient({
    url,
    origin: WEB_ORIGIN,
    fetch: jarFetch,
    cookie: () => cookie,
    EventSource,
  });
  const { userId } = await client.auth.devSignIn.mutate({ username });
  return { client, userId };
}

/** Resolves once the API's subscription for `topic` registered on its event bus (the stream is open). */
async function listening(topic: string): Promise<void> {
  const subscribe = vi.spyOn(runtime.deps.events, 'subscribe');
  try {
    await expect
      .poll(() => subscribe.mock.calls.some(([subscribed]) => subscribed === topic), { timeout: 15_000 })
      .toBe(true);
  } finally {
    subscribe.mockRestore();
  }
}

/** Collects subscription data until `count` items arrived. */
function collect<T>(
  subscribe: (handlers: { onData: (d: T) => void; onError: (e: unknown) => void }) => { unsubscribe(): void },
  count: number,
) {
  const items: T[] = [];
  let done!: () => void;
  let fail!: (e: unknown) => void;
  const finished = new Promise<void>((resolve, reject) => ((done = resolve), (fail = reject)));
  const subscription = subscribe({
    onData: (d) => {
      items.push(d);
      if (items.length >= count) done();
    },
    onError: (e) => fail(e),
  });
  return { items, finished, stop: () => subscription.unsubscribe() };
}

describe('@stylelicense/client over real HTTP', () => {
  it('batches anonymous queries and surfaces SPEC error codes', async () => {
    const anonymous = createStyleLicenseClient({ url, EventSource });
    const [health, styles, feed] = await Promise.all([
      anonymous.health.query(),
      anonymous.styles.list.query({}),
      anonymous.generations.feed.query({ sort: 'popular' }),
    ]);
    expect(health.status).toBe('ok');
    expect(styles).toEqual({ items: [], nextCursor: null, hasMore: false });
    expect(feed.items).toEqual([]);
    const error = await anonymous.notifications.unreadCount.query().catch((e: unknown) => e);
    expect(errorCodeOf(error)).toBe('UNAUTHORIZED');
  });

  it('streams notifications over SSE as they happen and resumes after the last event id', async () => {
    const star = await signedIn('sse_star');
    const fans = await Promise.all(['sse_fan_a', 'sse_fan_b', 'sse_fan_c'].map(signedIn));
    const open = listening(`notification.created.${star.userId}`);
    const live = collect<{ id: string; data: { notificationType: string; actorId: string | null } }>(
      (handlers) => star.client.notifications.onNew.subscribe(undefined, handlers),
      2,
    );
    await open;
    await fans[0]!.client.follows.follow.mutate({ userId: star.userId });
    await fans[1]!.client.follows.follow.mutate({ userId: star.userId });
    await live.finished;
    live.stop();
    expect(live.items.map((e) => e.data.actorId)).toEqual([fans[0]!.userId, fans[1]!.userId]);
    expect(live.items[0]!.data.notificationType).toBe('follow');

    // Offline for a while: one more follow happens, then we reconnect from the first event's id.
    await fans[2]!.client.follows.follow.mutate({ userId: star.userId });
    const resumed = collect<{ id: string; data: { actorId: string | null } }>(
      (handlers) => star.client.notifications.onNew.subscribe({ lastEventId: live.items[0]!.id }, handlers),
      2,
    );
    await resumed.finished;
    resumed.stop();
    expect(resumed.items.map((e) => e.data.actorId)).toEqual([fans[1]!.userId, fans[2]!.userId]);
    expect((await star.client.notifications.unreadCount.query()).count).toBe(3);
  });

  it('lets an artist upload through presigned URLs and create a style; a user then generates in it', async () => {
    const artist = await signedIn('client_artist');
    // The artist upgrade is another procedure's business; here the profile is written directly.
    await database.db.user.update({ where: { id: artist.userId }, data: { role: 'artist' } });
    await database.db.artist.create({
      data: {
        userId: artist.userId,
        artistName: 'Client Artist',
        signatureImage: `signatures/${artist.userId}.png`,
        verifiedEmail: 'a@example.com',
      },
    });
    const png = await sharp({ create: { width: 600, height: 600, channels: 3, background: '#3a6' } })
      .png()
      .toBuffer();
    const { uploadId, uploads } = await artist.client.styles.uploadUrls.mutate({
      images: Array(10).fill({ contentType: 'image/png' }),
    });
    for (const upload of uploads) await uploadToPresignedUrl(upload, png);
    const style = await artist.client.styles.create.mutate({
      uploadId,
      name: 'Green Fields',
      description: 'Over HTTP',
      generationCostTokens: 10,
      licenseType: 'personal',
      tags: ['green'],
      artworks: uploads.map((u) => ({ index: u.index })),
    });
    expect(style).toMatchObject({
      name: 'Green Fields',
      trainingStatus: 'pending',
      tags: ['green fields', 'green'],
    });
    expect(style.createdAt).toBeInstanceOf(Date); // superjson on the wire

    // Training completes (the pipeline's job); then a user generates and watches its progress.
    await database.db.style.update({
      where: { id: style.id },
      data: { trainingStatus: 'completed', modelPath: `models/${style.id}/lora.safetensors` },
    });
    const user = await signedIn('client_user');
    const generation = await user.client.generations.create.mutate({
      styleId: style.id,
      promptTags: ['meadow'],
      aspectRatio: '1:1',
      expectedCost: style.generationCostTokens,
    });
    expect(generation.owner?.consumedTokens).toBe(10);
    const open = listening(`generation.updated.${user.userId}`);
    const progress = collect<{ data: { status: string; progress: { percent: number } | null } }>(
      (handlers) => user.client.generations.onProgress.subscribe({ generationId: generation.id }, handlers),
      1,
    );
    await open;
    await runtime.deps.events.publish(`generation.updated.${user.userId}`, {
      v: 1,
      type: 'generation.updated',
      ownerId: user.userId,
      generationId: generation.id,
      status: 'processing',
      progress: { step: 3, totalSteps: 30, percent: 10, etaSeconds: 9 },
      occurredAt: new Date().toISOString(),
    });
    await progress.finished;
    progress.stop();
    expect(progress.items[0]!.data).toMatchObject({ status: 'processing', progress: { percent: 10 } });

    // Someone else cannot watch it.
    const other = await signedIn('client_other');
    const refused = collect(
      (handlers) => other.client.generations.onProgress.subscribe({ generationId: generation.id }, handlers),
      1,
    );
    await expect(refused.finished).rejects.toSatisfy(
      (e: unknown) => errorCodeOf(e) === 'GENERATION_NOT_FOUND',
    );
    refused.stop();
  });
});
