import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateWebhookSecret } from '@stylelicense/contracts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createReportChannel, flushAndCloseReporter, type WorkerLog } from '../src/index';

const secret = generateWebhookSecret();

function recordingLog() {
  const lines: { level: string; message?: string; fields: object }[] = [];
  const log: WorkerLog = {
    info: (fields, message) => lines.push({ level: 'info', fields, message }),
    warn: (fields, message) => lines.push({ level: 'warn', fields, message }),
    error: (fields, message) => lines.push({ level: 'error', fields, message }),
  };
  return { log, lines };
}

/** A stand-in API that answers each webhook with `status` and records what it was sent. */
async function fakeApi(status: () => number) {
  const received: { path: string; source: string | undefined; body: unknown }[] = [];
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        source: req.headers['webhook-source'] as string | undefined,
        body: JSON.parse(body),
      });
      res.writeHead(status(), { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    received,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

let spoolDir: string;
beforeEach(async () => {
  spoolDir = await mkdtemp(join(tmpdir(), 'worker-runtime-spool-'));
});
afterEach(async () => {
  await rm(spoolDir, { recursive: true, force: true });
});

describe('report channel', () => {
  it('delivers final reports signed as the worker’s source, progress through the quick sender, and answers from send', async () => {
    const api = await fakeApi(() => 200);
    const { log } = recordingLog();
    const channel = createReportChannel({ apiUrl: api.url, secret, spoolDir, log, source: 'inference' });
    try {
      await expect(channel.sendFinal('/webhooks/done', { v: 1, id: 'a' })).resolves.toEqual({
        delivered: true,
      });
      await channel.progressSender.send('/webhooks/progress', { v: 1, pct: 50 });
      await expect(channel.send('/webhooks/started', { v: 1 })).resolves.toMatchObject({
        status: 200,
        body: {},
      });
      expect(api.received).toEqual([
        { path: '/webhooks/done', source: 'inference', body: { v: 1, id: 'a' } },
        { path: '/webhooks/progress', source: 'inference', body: { v: 1, pct: 50 } },
        { path: '/webhooks/started', source: 'inference', body: { v: 1 } },
      ]);
    } finally {
      await channel.close();
      await api.close();
    }
  });

  it('a 4xx answer is final: not spooled, logged as rejected', async () => {
    const api = await fakeApi(() => 422);
    const { log, lines } = recordingLog();
    const channel = createReportChannel({
      apiUrl: api.url,
      secret,
      spoolDir,
      log,
      source: 'training',
      maxAttempts: 1,
    });
    try {
      await expect(channel.sendFinal('/webhooks/done', { v: 1 })).resolves.toEqual({ delivered: false });
      expect(lines).toContainEqual(
        expect.objectContaining({ level: 'error', message: 'API rejected the report' }),
      );
      await expect(channel.flush()).resolves.toEqual({ delivered: 0, remaining: 0 });
    } finally {
      await channel.close();
      await api.close();
    }
  });

  it('an unreachable API spools the report; the stop flushes it once and says what is left', async () => {
    let status = 503;
    const api = await fakeApi(() => status);
    const { log, lines } = recordingLog();
    const channel = createReportChannel({
      apiUrl: api.url,
      secret,
      spoolDir,
      log,
      source: 'training',
      maxAttempts: 1,
    });
    try {
      await expect(channel.sendFinal('/webhooks/done', { v: 1 })).resolves.toEqual({ delivered: false });
      expect(lines).toContainEqual(
        expect.objectContaining({
          level: 'warn',
          message: 'API unreachable: report spooled for later delivery',
        }),
      );
      expect((await readdir(spoolDir)).some((name) => name.endsWith('.json'))).toBe(true);

      await flushAndCloseReporter(channel, log, spoolDir);
      expect(lines).toContainEqual({
        level: 'warn',
        fields: { remaining: 1, spoolDir },
        message: 'reports left in the spool for the next start',
      });

      // The next start delivers it.
      status = 200;
      const next = createReportChannel({
        apiUrl: api.url,
        secret,
        spoolDir,
        log,
        source: 'training',
        maxAttempts: 1,
      });
      await expect(next.flush()).resolves.toEqual({ delivered: 1, remaining: 0 });
      await next.close();
    } finally {
      await api.close();
    }
  });
});
