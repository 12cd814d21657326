import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ReceivedWebhook {
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A loopback HTTP server answering from a script of statuses (then 200), recording every request. */
export class ScriptedWebhookServer {
  readonly received: ReceivedWebhook[] = [];
  statuses: number[] = [];
  extraHeaders: Record<string, string> = {};
  private server: Server | undefined;
  port = 0;

  async start(port = 0): Promise<string> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        this.received.push({
          path: request.url ?? '',
          headers: request.headers,
          body: Buffer.concat(chunks).toString(),
        });
        const status = this.statuses.shift() ?? 200;
        response.writeHead(status, { 'content-type': 'application/json', ...this.extraHeaders });
        response.end(JSON.stringify({ status }));
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(port, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return `http://127.0.0.1:${this.port}`;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
