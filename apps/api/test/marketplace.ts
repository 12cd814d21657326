import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Database, Role } from '@stylelicense/db';
import { createTestDatabase, type TestDatabase } from '@stylelicense/db/testing';
import { createStorage } from '@stylelicense/storage';
import type { AppDeps } from '../src/deps';
import { loadConfig } from '../src/env';
import { createLogger } from '../src/logger';
import { appRouter } from '../src/app-router';
import { InProcessEventBus } from '../src/messaging/events';
import { createApiMetrics } from '../src/platform/metrics';
import { MemoryRateLimitStore } from '../src/platform/rate-limits';
import { trustedProvenanceKeys } from '../src/platform/provenance';
import type { Viewer } from '../src/trpc/context';
import { toApiError } from '../src/trpc/errors';
import { createCallerFactory } from '../src/trpc/init';

const createCaller = createCallerFactory(appRouter);
const suffix = () => randomBytes(4).toString('hex');

export type Caller = ReturnType<typeof createCaller>;

export interface Marketplace {
  database: TestDatabase;
  db: Database;
  deps: AppDeps;
  /** A caller as `viewer` (null = no session), as the HTTP adapter would build it. */
  as(viewer: Viewer | null): Caller;
  stop(): Promise<void>;
}

/**
 * The routers on a fresh migrated PostgreSQL database, real filesystem storage in a temp folder and
 * the in-process event bus, called through `createCaller` with hand-built viewers.
 */
export async function startMarketplace(overrides: Record<string, string> = {}): Promise<Marketplace> {
  const database = await createTestDatabase({ poolSize: 20 });
  const dataDir = await mkdtemp(join(tmpdir(), 'sl-market-'));
  // Generous general limits: tests make many calls as one user; the generation limit stays as SPEC says.
  const config = loadConfig({
    MODE: 'test',
    DATABASE_URL: database.url,
    DATA_DIR: dataDir,
    LOG_LEVEL: 'silent',
    RATE_LIMIT_USER: '100000/60',
    RATE_LIMIT_ANONYMOUS: '100000/60',
    // Tests read their own writes at once; the anonymous page cache has its own test.
    PUBLIC_CACHE_SECONDS: '0',
    ...overrides,
  });
  const storage = createStorage({
    driver: 'filesystem',
    root: join(dataDir, 'storage'),
    publicBaseUrl: 'http://127.0.0.1:9/api/storage',
    signingSecret: randomBytes(32),
  });
  await storage.ensureBucket();
  const log = createLogger('silent');
  const deps = {
    config,
    db: database.db,
    events: new InProcessEventBus(),
    log,
    probes: [],
    rateLimits: new MemoryRateLimitStore(),
    storage,
    provenanceKeys: trustedProvenanceKeys(config),
    metrics: createApiMetrics({ db: database.db }),
    startedAt: new Date(),
  } as unknown as AppDeps;
  return {
    database,
    db: database.db,
    deps,
    as: (viewer) => createCaller({ deps, log, requestId: 'test', ip: '127.0.0.1', viewer }),
    async stop() {
      await deps.events.close();
      await database.drop();
      await rm(dataDir, { recursive: true, force: true });
    },
  };
}

export interface TestUser {
  id: string;
  username: string;
  viewer: Viewer;
}

/** A user with `tokens` tokens (written directly: ledger tests live with the ledger). */
export async function addUser(
  db: Database,
  { role = 'user', tokens = 0 }: { role?: Role; tokens?: number } = {},
): Promise<TestUser> {
  const username = `user_${suffix()}`;
  const user = await db.user.create({
    data: { username, provider: 'dev', providerUserId: username, role, tokenBalance: tokens },
  });
  return { id: user.id, username, viewer: { userId: user.id, role, sessionId: `session-${user.id}` } };
}

export async function addArtist(
  db: Database,
  { artistName }: { artistName?: string } = {},
): Promise<TestUser & { artistName: string }> {
  const user = await addUser(db, { role: 'artist' });
  const name = artistName ?? `Artist ${suffix()}`;
  await db.artist.create({
    data: {
      userId: user.id,
      artistName: name,
      signatureImage: `signatures/${user.id}.png`,
      verifiedEmail: `${user.username}@example.com`,
    },
  });
  return { ...user, artistName: name };
}

/** A style straight in the database (training already done unless `status` says otherwise). */
export async function addStyle(
  db: Database,
  artistId: string,
  {
    name = `style ${suffix()}`,
    status = 'completed',
    cost = 5,
    isActive = true,
    isFlagged = false,
    createdAt,
  }: {
    name?: string;
    status?: 'pending' | 'training' | 'completed' | 'failed';
    cost?: number;
    isActive?: boolean;
    isFlagged?: boolean;
    createdAt?: Date;
  } = {},
) {
  return db.style.create({
    data: {
      artistId,
      name,
      generationCostTokens: cost,
      trainingStatus: status,
      isActive,
      isFlagged,
      modelPath: status === 'completed' ? `models/${randomBytes(8).toString('hex')}/lora.safetensors` : null,
      ...(createdAt ? { createdAt } : {}),
    },
  });
}

/** A generation straight in the database (no ledger hold): for community and feed tests. */
export async function addGeneration(
  db: Database,
  {
    userId,
    styleId,
    isPublic = false,
    status = 'completed',
    createdAt,
  }: {
    userId: string;
    styleId: string;
    isPublic?: boolean;
    status?: 'queued' | 'completed' | 'failed';
    createdAt?: Date;
  },
) {
  // A completed generation counts as a use of its style (the pipeline does this on completion).
  if (status === 'completed')
    await db.style.update({ where: { id: styleId }, data: { usageCount: { increment: 1 } } });
  return db.generation.create({
    data: {
      userId,
      styleId,
      aspectRatio: 'square',
      seed: 42n,
      consumedTokens: 5,
      status,
      isPublic,
      resultImage: status === 'completed' ? `results/${randomBytes(8).toString('hex')}.png` : null,
      ...(createdAt ? { createdAt } : {}),
    },
  });
}

/** The SPEC code a call fails with, as the one error formatter reports it ('RESOLVED' when it succeeds). */
export async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    return toApiError(error).code;
  }
  return 'RESOLVED';
}
