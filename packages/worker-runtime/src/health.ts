import { createServer, type Server } from 'node:http';
import type { Registry } from 'prom-client';

/** What a worker's health check answers; the rest of the object is the body as is. */
export interface HealthSource {
  health(): Promise<{ ok: boolean }>;
  /** Its Prometheus series, served at `/metrics`. */
  metrics?: Registry;
}

/**
 * `GET /health` for the container's health check: 200 while the worker can take jobs (broker and
 * storage reachable, not stopping), 503 otherwise; the body is the worker's own report, so it says
 * which part is down and what the worker is doing. `GET /metrics` serves the worker's Prometheus
 * series; the health port is the workers' private port, never published to users.
 */
export async function startHealthServer(
  worker: HealthSource,
  port: number,
  host: string,
): Promise<Server & { url: string }> {
  const server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0];
    if (req.method === 'GET' && path === '/metrics' && worker.metrics) {
      const registry = worker.metrics;
      registry.metrics().then(
        (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
        (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(String(error)),
      );
      return;
    }
    if (req.method !== 'GET' || path !== '/health') {
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
      return;
    }
    worker.health().then(
      (health) =>
        res
          .writeHead(health.ok ? 200 : 503, { 'content-type': 'application/json' })
          .end(JSON.stringify(health)),
      (error: unknown) =>
        res
          .writeHead(503, { 'content-type': 'application/json' })
          .end(JSON.stringify({ ok: false, error: String(error) })),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, resolve);
  });
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return Object.assign(server, { url: `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${boundPort}` });
}
