import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { JOB_QUEUES } from '@stylelicense/queue';
import { createStorage } from '@stylelicense/storage';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AMQP_URL,
  putArtworks,
  rabbitFixture,
  SECRET,
  TEN_GOOD,
  trainingJob,
  uniqueId,
} from './support/harness';
import { startWebhookReceiver, type WebhookReceiver } from './support/webhook-receiver';

const main = fileURLToPath(new URL('../src/main.ts', import.meta.url));

let tempDir: TempDir;
let root: string;
let receiver: WebhookReceiver;
let fixture: ReturnType<typeof rabbitFixture>;

beforeAll(async () => {
  tempDir = await makeTempDir('training-main');
  root = tempDir.path;
  receiver = await startWebhookReceiver(SECRET);
  fixture = rabbitFixture({}); // main.ts declares the production topology (queue defaults)
});

afterAll(async () => {
  await fixture.cleanup();
  await receiver.close();
  await tempDir.remove();
});

/** Resolves with the health URL from the "training worker ready" log line. */
function readyUrl(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      for (const line of output.split('\n')) {
        if (!line.includes('training worker ready')) continue;
        resolve((JSON.parse(line) as { health: string }).health);
      }
    });
    child.once('exit', (code) => reject(new Error(`main exited early (${code}): ${output}`)));
  });
}

describe('main.ts (the standalone process)', () => {
  it('starts from the environment, serves /health, fails a job with the none engine, and exits cleanly on SIGTERM', async () => {
    const dataDir = join(root, 'data');
    const child = spawn(process.execPath, ['--import', 'tsx', main], {
      env: {
        PATH: process.env.PATH,
        AMQP_URL,
        QUEUE_PREFIX: fixture.prefix,
        API_URL: receiver.url,
        WEBHOOK_SECRET: SECRET,
        TRAINER_ENGINE: 'none',
        DATA_DIR: dataDir,
        HEALTH_PORT: '0',
        HEALTH_HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    try {
      const health = await readyUrl(child);
      const response = await fetch(health);
      expect(response.status).toBe(200);
      expect(await response.json()).toMatchObject({
        ok: true,
        engine: 'none',
        job: null,
        broker: { ok: true, driver: 'rabbitmq' },
        storage: { ok: true },
      });
      // The training worker serves its job metrics for Prometheus beside /health.
      expect((await fetch(health.replace('/health', '/metrics'))).status).toBe(200);

      // Same storage folder as the process (DATA_DIR/storage), same queue prefix.
      const storage = createStorage({
        driver: 'filesystem',
        root: join(dataDir, 'storage'),
        publicBaseUrl: 'http://127.0.0.1:9/s',
        signingSecret: 'x'.repeat(32),
      });
      const styleId = uniqueId('style');
      const job = trainingJob(styleId, await putArtworks(storage, styleId, TEN_GOOD));
      const api = await fixture.connect();
      await api.publish(JOB_QUEUES.training, job, { messageId: job.jobId });
      await expect
        .poll(
          () =>
            receiver
              .forStyle(styleId)
              .map((r) => r.route)
              .at(-1),
          { timeout: 10_000 },
        )
        .toBe('trainingFailed');
      expect(receiver.forStyle(styleId).at(-1)!.body.failure).toMatchObject({ code: 'NO_TRAINER_ENGINE' });

      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });
});
