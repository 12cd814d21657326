import { randomBytes, randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  generateWebhookSecret,
  trainingJobSchema,
  type TrainingJob,
  type TrainingJobInput,
} from '@stylelicense/contracts';
import { createRabbitBroker, type RabbitBroker, type TopologyOptions } from '@stylelicense/queue';
import { createStorage, storageKeys, type ObjectStorage } from '@stylelicense/storage';
import { requireService, testServices } from '@stylelicense/test-kit';
import sharp from 'sharp';
import type { TrainingWorkerConfig, WorkerLog } from '../../src/index';

export const AMQP_URL = testServices.rabbitmq.url;

/** Fast retry tiers so a retried job takes a fraction of a second. */
export const TEST_TOPOLOGY: TopologyOptions = { retryDelaysMs: [200, 400], maxAttempts: 3, deliveryLimit: 3 };

export const SECRET = generateWebhookSecret();

export function uniqueId(kind: string): string {
  return `${kind}_${randomUUID().replaceAll('-', '').slice(0, 12)}`;
}

/** Brokers on a per-run prefix; cleanup deletes every queue under it. */
export function rabbitFixture(topology: TopologyOptions = TEST_TOPOLOGY) {
  const prefix = `test.training.${randomUUID().slice(0, 8)}.`;
  const brokers: RabbitBroker[] = [];
  return {
    prefix,
    async connect(): Promise<RabbitBroker> {
      await requireService(testServices.rabbitmq);
      const broker = await createRabbitBroker({
        url: AMQP_URL,
        prefix,
        ...topology,
        connectionName: `training-test ${prefix}`,
      });
      brokers.push(broker);
      return broker;
    },
    async cleanup(): Promise<void> {
      await Promise.all(brokers.map((broker) => broker.close({ graceMs: 0 }).catch(() => undefined)));
      const janitor = await createRabbitBroker({ url: AMQP_URL, prefix, ...topology });
      await janitor.deleteTopology();
      await janitor.close();
    },
  };
}

export function testStorage(root: string): ObjectStorage {
  return createStorage({
    driver: 'filesystem',
    root: join(root, 'objects'),
    publicBaseUrl: 'http://127.0.0.1:9/api/storage',
    signingSecret: randomBytes(32),
  });
}

export interface ArtworkSpec {
  width: number;
  height: number;
  /** Bytes that are not an image at all. */
  corrupt?: boolean;
}

export const TEN_GOOD: ArtworkSpec[] = Array.from({ length: 10 }, (_, n) => ({
  width: n === 0 ? 900 : 600,
  height: 600,
}));

/** Stores the artworks where the API puts them (training/<styleId>/<n>) and returns the job's list. */
export async function putArtworks(storage: ObjectStorage, styleId: string, specs: readonly ArtworkSpec[]) {
  return Promise.all(
    specs.map(async (spec, n) => {
      const key = storageKeys.trainingImage(styleId, n);
      const bytes = spec.corrupt
        ? Buffer.from('definitely not a picture')
        : await sharp({
            create: {
              width: spec.width,
              height: spec.height,
              channels: 3,
              background: { r: 20 * n, g: 120, b: 200 - 10 * n },
            },
          })
            .jpeg()
            .toBuffer();
      await storage.put(key, bytes, { contentType: 'image/jpeg' });
      return {
        artworkId: uniqueId('art'),
        imageKey: key,
        caption: n % 2 ? `brush study ${n}` : null,
        tags: ['ink', 'night'],
      };
    }),
  );
}

export function trainingJob(
  styleId: string,
  artworks: TrainingJobInput['artworks'],
  overrides: Partial<TrainingJobInput> = {},
): TrainingJob {
  return trainingJobSchema.parse({
    v: 1,
    jobId: uniqueId('job'),
    styleId,
    artistId: uniqueId('artist'),
    styleName: 'Moonlit Ink',
    styleTags: ['ink'],
    artworks,
    options: {},
    attempt: 1,
    requestedAt: new Date().toISOString(),
    ...overrides,
  });
}

let workers = 0;
export function testConfig(
  root: string,
  apiUrl: string,
  overrides: Partial<TrainingWorkerConfig> = {},
): TrainingWorkerConfig {
  workers += 1;
  return {
    workerId: `test-worker-${workers}`,
    apiUrl,
    webhookSecret: SECRET,
    spoolDir: join(root, `spool-${workers}`),
    workDir: join(root, `work-${workers}`),
    trainer: { engine: 'none' },
    jobTimeLimitMs: 60_000,
    progressHeartbeatMs: 1_000,
    progressIntervalMs: 100,
    shutdownGraceMs: 300,
    maxAttempts: 3,
    ...overrides,
  };
}

/** Collects log lines so a failing test can print them; quiet otherwise. */
export function memoryLog(): WorkerLog & { lines: { level: string; message?: string; fields: object }[] } {
  const lines: { level: string; message?: string; fields: object }[] = [];
  const at = (level: string) => (fields: object, message?: string) =>
    void lines.push({ level, message, fields });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}
