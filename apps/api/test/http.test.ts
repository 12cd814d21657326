import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApi, type TestApi } from './harness';

describe('API over HTTP', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startTestApi({ HEALTH_DETAILS: 'true' });
  });
  afterAll(async () => {
    await api.stop();
  });

  it('answers liveness on /api/health', async () => {
    const res = await fetch(`${api.url}/api/health`);
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('reports the database with its latency on /api/ready', async () => {
    // Each probe has a 2 s budget, which a first query on a saturated machine can overrun; a load
    // balancer asks again, and so does this test.
    let res!: Response;
    await expect
      .poll(
        async () => {
          res = await fetch(`${api.url}/api/ready`);
          return res.status;
        },
        { timeout: 30_000, interval: 500 },
      )
      .toBe(200);
    const body = (await res.json()) as {
      status: string;
      checks: Record<string, { status: string; latencyMs: number }>;
    };
    expect(body.status).toBe('ready');
    expect(body.checks.database!.status).toBe('up');
    expect(body.checks.database!.latencyMs).toBeGreaterThanOrEqual(0);
  });

  it('answers the health procedure through tRPC', async () => {
    const res = await fetch(`${api.url}/trpc/health`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as { result: { data: { json: { status: string; mode: string } } } };
    expect(body.result.data.json).toMatchObject({ status: 'ok', mode: 'test' });
  });

  it('echoes or assigns a request id', async () => {
    const mine = await fetch(`${api.url}/api/health`, { headers: { 'x-request-id': 'trace-123' } });
    expect(mine.headers.get('x-request-id')).toBe('trace-123');
    const assigned = await fetch(`${api.url}/api/health`);
    expect(assigned.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('gives unknown procedures and routes a stable NOT_FOUND code with status 404', async () => {
    const trpc = await fetch(`${api.url}/trpc/nope`);
    expect(trpc.status).toBe(404);
    expect(
      ((await trpc.json()) as { error: { json: { data: { code: string } } } }).error.json.data.code,
    ).toBe('NOT_FOUND');
    const rest = await fetch(`${api.url}/api/nope`);
    expect(rest.status).toBe(404);
    expect(await rest.json()).toEqual({ error: { code: 'NOT_FOUND', message: 'No such route.' } });
  });
});

describe('readiness when the database is gone', () => {
  it('answers 503 naming the database as down', async () => {
    const api = await startTestApi({ HEALTH_DETAILS: 'true' });
    try {
      await api.database.db.$disconnect();
      await api.database.drop();
      const res = await fetch(`${api.url}/api/ready`);
      expect(res.status).toBe(503);
      const body = (await res.json()) as {
        status: string;
        checks: { database: { status: string; error: string } };
      };
      expect(body.status).toBe('unavailable');
      expect(body.checks.database.status).toBe('down');
      expect(body.checks.database.error).toBeTruthy();
    } finally {
      await api.runtime.http.close();
    }
  });
});

describe('graceful shutdown', () => {
  it('finishes a request in flight, then refuses new connections', async () => {
    const api = await startTestApi({ HEALTH_DETAILS: 'true' });
    const app = api.runtime.http.server;
    // A slow in-flight request: hold the response open until shutdown has begun.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let arrived!: () => void;
    const inHandler = new Promise<void>((resolve) => (arrived = resolve));
    const [express] = app.listeners('request') as Array<(req: unknown, res: unknown) => void>;
    app.removeAllListeners('request');
    app.on('request', (req, res) => {
      if (req.url === '/slow') {
        arrived();
        void held.then(() => res.end('done'));
      } else express!(req, res);
    });
    const inflight = fetch(`${api.url}/slow`).then((r) => r.text());
    await inHandler;
    const stopping = api.stop();
    // Shutdown has begun once the server stops listening; the held request is still open.
    await expect.poll(() => app.listening, { timeout: 15_000 }).toBe(false);
    await expect(fetch(`${api.url}/api/health`)).rejects.toThrow();
    release();
    expect(await inflight).toBe('done');
    await stopping;
  });
});
