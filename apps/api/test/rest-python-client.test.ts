import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { makeTempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiKey } from '../src/apikeys/apikeys';
import type { EmbeddedWorker } from '../src/embedded/workers';
import { attachEmbeddedWorkers, startTestApi, type TestApi } from './harness';
import { seedMarket } from './pipeline-fixtures';

// An integrator's program no one here wrote: Python's standard library against REST v1 and a key.
let api: TestApi;
let workers: EmbeddedWorker[] = [];

beforeAll(async () => {
  api = await startTestApi({ QUEUE_DRIVER: 'in-process' });
  workers = await attachEmbeddedWorkers(api, [new URL('./fixtures/echo-worker.ts', import.meta.url).href]);
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await api?.stop();
});

it('a Python standard-library client creates a generation with an API key, polls it to completion and downloads the signed image', async () => {
  const { customer, style } = await seedMarket(api, { cost: 10 });
  const { key } = await createApiKey(api.runtime.deps, customer.viewer, {
    name: 'python',
    scopes: ['read', 'generate'],
  });
  const out = await makeTempDir('python-client');
  try {
    const outFile = join(out.path, 'image.png');
    const { stdout } = await promisify(execFile)(
      'python3',
      [fileURLToPath(new URL('./fixtures/rest_client.py', import.meta.url))],
      {
        env: {
          PATH: process.env.PATH,
          API_URL: api.url,
          API_KEY: key,
          STYLE_ID: style.id,
          OUT_FILE: outFile,
        },
        timeout: 120_000,
      },
    );
    const summary = JSON.parse(stdout) as {
      generationId: string;
      status: string;
      bytes: number;
      contentType: string;
      balanceBefore: { tokenBalance: number };
      balanceAfter: { tokenBalance: number };
    };
    expect(summary.status).toBe('completed');
    expect(summary.contentType).toBe('image/png');
    const image = await readFile(outFile);
    expect(image.byteLength).toBe(summary.bytes);
    expect(image.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    // Sent twice with one Idempotency-Key: charged once.
    expect(summary.balanceBefore.tokenBalance - summary.balanceAfter.tokenBalance).toBe(10);
    const generations = await api.runtime.deps.db.generation.count({ where: { userId: customer.id } });
    expect(generations).toBe(1);
  } finally {
    await out.remove();
  }
});
