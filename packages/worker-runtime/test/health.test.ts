import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createWorkerJobMetrics, startHealthServer } from '../src/index';

let server: (Server & { url: string }) | undefined;
afterEach(() => {
  server?.close();
  server = undefined;
});

describe('health server', () => {
  it("answers GET /health with the worker's report: 200 when ok, 503 when not", async () => {
    let report: { ok: boolean; stopping: boolean } = { ok: true, stopping: false };
    server = await startHealthServer({ health: async () => report }, 0, '127.0.0.1');
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const up = await fetch(`${server.url}/health?probe=compose`);
    expect(up.status).toBe(200);
    expect(up.headers.get('content-type')).toBe('application/json');
    expect(await up.json()).toEqual({ ok: true, stopping: false });

    report = { ok: false, stopping: true };
    const down = await fetch(`${server.url}/health`);
    expect(down.status).toBe(503);
    expect(await down.json()).toEqual({ ok: false, stopping: true });
  });

  it('answers 503 with the error when the report itself fails', async () => {
    server = await startHealthServer(
      { health: () => Promise.reject(new Error('broker gone')) },
      0,
      '127.0.0.1',
    );
    const response = await fetch(`${server.url}/health`);
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({ ok: false, error: 'Error: broker gone' });
  });

  it('answers 404 to any other path or method', async () => {
    server = await startHealthServer({ health: async () => ({ ok: true }) }, 0, '127.0.0.1');
    const other = await fetch(`${server.url}/metrics`);
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ error: 'not found' });
    expect((await fetch(`${server.url}/health`, { method: 'POST' })).status).toBe(404);
  });

  it('on 0.0.0.0 gives a loopback URL, and fails to start on a port in use', async () => {
    server = await startHealthServer({ health: async () => ({ ok: true }) }, 0, '0.0.0.0');
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const port = Number(new URL(server.url).port);
    await expect(startHealthServer({ health: async () => ({ ok: true }) }, port, '0.0.0.0')).rejects.toThrow(
      /EADDRINUSE/,
    );
  });

  it("serves the worker's job metrics at /metrics (training's too), and /metrics is 404 without them", async () => {
    const metrics = createWorkerJobMetrics('training');
    metrics.jobStarted()({ status: 'completed' });
    metrics.jobStarted()({ status: 'failed', code: 'LORA_INVALID' });
    server = await startHealthServer(
      { health: async () => ({ ok: true }), metrics: metrics.registry },
      0,
      '127.0.0.1',
    );
    const response = await fetch(`${server.url}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toContain('text/plain');
    const text = await response.text();
    expect(text).toContain('worker_jobs_started_total{job="training"} 2');
    expect(text).toContain('worker_jobs_finished_total{job="training",outcome="failed"} 1');
    expect(text).toContain('worker_jobs_failed_total{job="training",code="LORA_INVALID"} 1');
    expect(text).toMatch(/worker_job_duration_seconds_count\{job="training",outcome="completed"\} 1/);
    server.close();

    server = await startHealthServer({ health: async () => ({ ok: true }) }, 0, '127.0.0.1');
    expect((await fetch(`${server.url}/metrics`)).status).toBe(404);
  });
});
