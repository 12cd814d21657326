import { freePort } from '@stylelicense/test-kit';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createApiKey } from '../src/apikeys/apikeys';
import type { EmbeddedWorker } from '../src/embedded/workers';
import { attachEmbeddedWorkers, startTestApi, type TestApi } from './harness';
import { seedMarket } from './pipeline-fixtures';

let api: TestApi;
let workers: EmbeddedWorker[] = [];

beforeAll(async () => {
  api = await startTestApi({ QUEUE_DRIVER: 'in-process', METRICS_PORT: String(await freePort()) });
  workers = await attachEmbeddedWorkers(api, [new URL('./fixtures/echo-worker.ts', import.meta.url).href]);
});
afterAll(async () => {
  await Promise.all(workers.map((worker) => worker.stop()));
  await api?.stop();
});

it('after a generation has run, /metrics on the metrics port exposes every family; the public port has no /metrics', async () => {
  const { customer, style } = await seedMarket(api);
  const { key } = await createApiKey(api.runtime.deps, customer.viewer, {
    name: 'm',
    scopes: ['read', 'generate'],
  });
  const headers = { authorization: `Bearer ${key}`, 'content-type': 'application/json' };
  const created = (await (
    await fetch(`${api.url}/api/v1/generations`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ styleId: style.id, promptTags: ['sea'], aspectRatio: '1:1', expectedCost: 10 }),
    })
  ).json()) as { id: string };
  await expect
    .poll(
      async () =>
        (await api.runtime.deps.db.generation.findUniqueOrThrow({ where: { id: created.id } })).status,
      {
        timeout: 30_000,
      },
    )
    .toBe('completed');
  // One refused call, so the error series has a sample; and one its guard refuses (a read-only key
  // asking to generate), timed and counted all the same.
  expect((await fetch(`${api.url}/api/v1/styles?limit=0`, { headers })).status).toBe(422);
  const reader = await createApiKey(api.runtime.deps, customer.viewer, { name: 'r', scopes: ['read'] });
  const refused = await fetch(`${api.url}/api/v1/generations`, {
    method: 'POST',
    headers: { ...headers, authorization: `Bearer ${reader.key}` },
    body: JSON.stringify({ styleId: style.id, promptTags: ['sea'], aspectRatio: '1:1', expectedCost: 10 }),
  });
  expect(refused.status).toBe(403);

  const metricsUrl = api.runtime.metrics?.url;
  expect(metricsUrl).toBeDefined();
  const text = await (await fetch(`${metricsUrl}/metrics`)).text();
  for (const series of [
    /http_request_duration_seconds_count\{method="POST",route="\/api\/v1\/generations",status="200"\} 1/,
    /trpc_procedure_duration_seconds_count\{procedure="generations.create",type="mutation"\} 2/,
    /trpc_procedure_errors_total\{procedure="generations.create",code="API_KEY_SCOPE_MISSING"\} 1/,
    /trpc_procedure_errors_total\{procedure="styles.list",code="VALIDATION_ERROR"\} 1/,
    /outbox_pending_messages \d+/,
    /outbox_oldest_due_age_seconds \d/,
    /outbox_published_total [1-9]/,
    /queue_messages\{queue="jobs.generation"\} \d+/,
    /queue_consumers\{queue="jobs.generation"\} 1/,
    /job_reports_total\{route="generationComplete",result="applied",code=""\} 1/,
    /job_reports_total\{route="generationProgress",result="applied",code=""\} 1/,
    /generation_duration_seconds_count 1/,
    /ledger_entries\{kind="generation"\} 1/,
    /ledger_entries\{kind="earning"\} 1/,
    /process_cpu_seconds_total/,
  ])
    expect(text).toMatch(series);

  expect((await fetch(`${api.url}/metrics`)).status).toBe(404);
});

it('without METRICS_PORT no metrics server is started', async () => {
  const plain = await startTestApi();
  try {
    expect(plain.runtime.metrics).toBeUndefined();
    expect((await fetch(`${plain.url}/metrics`)).status).toBe(404);
  } finally {
    await plain.stop();
  }
});
