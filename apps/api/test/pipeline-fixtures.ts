import {
  generateWebhookSecret,
  isRetryableFailure,
  type JobFailureCode,
  webhookHeaders,
  newWebhookId,
  WEBHOOK_ROUTES,
  type WebhookRoute,
} from '@stylelicense/contracts';
import { withTransaction } from '@stylelicense/db';
import { createLogger } from '../src/logger';
import type { Viewer } from '../src/trpc/context';
import { appRouter } from '../src/app-router';
import { creditWelcomeBonus } from '../src/tokens/ledger';
import { createCallerFactory } from '../src/trpc/init';
import { AMQP_URL, rabbitFixture, uniqueQueuePrefix } from './broker-fixture';
import { startTestApi, type TestApi } from './harness';
import { addArtist, addStyle, addUser } from './marketplace';

const createCaller = createCallerFactory(appRouter);

export interface PipelineApi extends TestApi {
  secrets: { training: string; inference: string };
  /** Other "processes" on the same broker prefix (consumers, a second API's bus). */
  rabbit: ReturnType<typeof rabbitFixture>;
}

/** The real API over HTTP on its own database and its own RabbitMQ prefix, with known webhook secrets. */
export async function startPipelineApi(overrides: Record<string, string> = {}): Promise<PipelineApi> {
  const prefix = uniqueQueuePrefix();
  const secrets = { training: generateWebhookSecret(), inference: generateWebhookSecret() };
  const api = await startTestApi({
    QUEUE_DRIVER: 'rabbitmq',
    AMQP_URL,
    QUEUE_PREFIX: prefix,
    WEBHOOK_SECRET_TRAINING: secrets.training,
    WEBHOOK_SECRET_INFERENCE: secrets.inference,
    OUTBOX_POLL_INTERVAL_MS: '100',
    HEALTH_DETAILS: 'true', // tests read the broker's and relay's probes
    // Tests submit many generations as one user.
    RATE_LIMIT_GENERATION: '100000/60',
    RATE_LIMIT_USER: '100000/60',
    ...overrides,
  });
  const rabbit = rabbitFixture(prefix);
  return {
    ...api,
    secrets,
    rabbit,
    async stop() {
      await api.stop();
      await rabbit.cleanup();
    },
  };
}

export interface SendOptions {
  id?: string;
  secret?: string;
  timestamp?: number;
  rawBody?: string;
  /** The body the signature covers, when it is not the one sent (a body altered in transit). */
  signedBody?: string;
  headers?: Record<string, string>;
}

/** POSTs a signed webhook as a worker would; returns the status and JSON answer. */
export async function sendWebhook(
  api: PipelineApi,
  route: WebhookRoute,
  payload: unknown,
  options: SendOptions = {},
) {
  const { path, source } = WEBHOOK_ROUTES[route];
  const body = options.rawBody ?? JSON.stringify(payload);
  const secret = options.secret ?? (source === 'training' ? api.secrets.training : api.secrets.inference);
  const id = options.id ?? newWebhookId();
  const signed = webhookHeaders({
    secret,
    id,
    body: options.signedBody ?? body,
    ...(options.timestamp ? { timestamp: options.timestamp } : {}),
  });
  const res = await fetch(`${api.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...signed, ...options.headers },
    body,
  });
  return {
    status: res.status,
    body: (await res.json()) as Record<string, unknown> & { error?: { code: string; issues?: unknown[] } },
    id,
  };
}

/** A style's artist, a customer with the 100-token welcome bonus (through the ledger), and a completed style. */
export async function seedMarket(api: TestApi, { cost = 10 }: { cost?: number } = {}) {
  const db = api.runtime.deps.db;
  const artist = await addArtist(db);
  const customer = await addUser(db);
  await withTransaction(db, (tx) => creditWelcomeBonus(tx, { userId: customer.id }));
  const style = await addStyle(db, artist.id, { cost });
  return { artist, customer, style };
}

/**
 * Submits a generation through the real procedure (hold + outbox row in one transaction) at the
 * style's current price, as a client that has just shown it.
 */
export async function submitGeneration(api: TestApi, viewer: Viewer, styleId: string) {
  const caller = createCaller({
    deps: api.runtime.deps,
    log: createLogger('silent'),
    requestId: 'test',
    ip: '127.0.0.1',
    viewer,
  });
  const { generationCostTokens } = await api.runtime.deps.db.style.findUniqueOrThrow({
    where: { id: styleId },
  });
  return caller.generations.create({
    styleId,
    promptTags: ['sunset'],
    aspectRatio: '1:1',
    expectedCost: generationCostTokens,
    seed: 42,
  });
}

export function progressReport(generationId: string, attempt = 1, step = 5) {
  return {
    v: 1,
    generationId,
    attempt,
    progress: { step, totalSteps: 20, percent: (step / 20) * 100, etaSeconds: 3 },
  };
}

export function completeReport(generationId: string, attempt = 1) {
  return {
    v: 1,
    generationId,
    attempt,
    resultKey: `results/${generationId}.png`,
    metadata: { seed: 42, steps: 20, guidance: 7.5, width: 512, height: 512 },
  };
}

export function failedReport(generationId: string, code: JobFailureCode, attempt = 1) {
  return {
    v: 1,
    generationId,
    failure: { code, message: `${code} happened`, retryable: isRetryableFailure(code), attempt },
  };
}
