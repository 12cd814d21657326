import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { generateWebhookSecret, verifyWebhook } from '@stylelicense/contracts';
import { createDurableWebhookSender } from '../src/webhook-spool';
import { ScriptedWebhookServer } from './webhook-server';

const secret = generateWebhookSecret();
let server: ScriptedWebhookServer;
let spoolDir: string;

beforeEach(async () => {
  server = new ScriptedWebhookServer();
  spoolDir = await mkdtemp(join(tmpdir(), 'webhook-spool-'));
});

afterEach(async () => {
  await server.stop();
  await rm(spoolDir, { recursive: true, force: true });
});

describe('durable webhook sender', () => {
  it('keeps results while the API is down and delivers them in order, with their ids, once it is back', async () => {
    const baseUrl = await server.start();
    const port = server.port;
    await server.stop();
    const options = {
      baseUrl,
      secret,
      source: 'training',
      spoolDir,
      retry: { maxAttempts: 2, initialDelayMs: 10, maxDelayMs: 20 },
    };
    const sender = createDurableWebhookSender(options);

    const progress = await sender.send('/api/webhooks/training/progress', { step: 1 });
    const complete = await sender.send('/api/webhooks/training/complete', { modelKey: 'm' });
    expect(progress.delivered).toBe(false);
    expect(complete.delivered).toBe(false);
    expect(await sender.pending()).toBe(2);
    await sender.close();

    // A restarted worker finds the spool and flushes it.
    await server.start(port);
    const restarted = createDurableWebhookSender(options);
    expect(await restarted.flush()).toEqual({ delivered: 2, remaining: 0 });
    expect(server.received.map((request) => request.path)).toEqual([
      '/api/webhooks/training/progress',
      '/api/webhooks/training/complete',
    ]);
    expect(
      server.received.map(
        (request) => verifyWebhook({ secret, headers: request.headers, body: request.body }).id,
      ),
    ).toEqual([progress.webhookId, complete.webhookId]);
    expect(await restarted.pending()).toBe(0);
    await restarted.close();
  });

  it('queues new results behind older spooled ones', async () => {
    const baseUrl = await server.start();
    server.statuses = [503, 503];
    const sender = createDurableWebhookSender({
      baseUrl,
      secret,
      source: 'inference',
      spoolDir,
      retry: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 10 },
    });
    expect((await sender.send('/first', { n: 1 })).delivered).toBe(false);
    const second = await sender.send('/second', { n: 2 });
    expect(second.delivered).toBe(true);
    expect(server.received.map((request) => request.path)).toEqual(['/first', '/first', '/first', '/second']);
    await sender.close();
  });

  it('moves a refused result aside instead of blocking the spool', async () => {
    const baseUrl = await server.start();
    server.statuses = [503, 503, 422];
    const errors: unknown[] = [];
    const sender = createDurableWebhookSender({
      baseUrl,
      secret,
      source: 'inference',
      spoolDir,
      retry: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 10 },
      onError: (error) => errors.push(error),
    });
    await sender.send('/bad', {});
    await sender.send('/good', {});
    expect(await sender.pending()).toBe(0);
    expect(await readdir(join(spoolDir, 'rejected'))).toHaveLength(1);
    expect(errors).toHaveLength(1);
    expect(server.received.at(-1)?.path).toBe('/good');
    await sender.close();
  });

  it('sets a damaged spool file aside and delivers the rest', async () => {
    const baseUrl = await server.start();
    await writeFile(join(spoolDir, '000000000000001-000001-msg_broken.json'), '{"webhookId": "msg_bro');
    const errors: unknown[] = [];
    const sender = createDurableWebhookSender({
      baseUrl,
      secret,
      source: 'inference',
      spoolDir,
      onError: (error) => errors.push(error),
    });
    const result = await sender.send('/after', { n: 1 });
    expect(result.delivered).toBe(true);
    expect(await readdir(join(spoolDir, 'rejected'))).toEqual(['000000000000001-000001-msg_broken.json']);
    expect(errors).toHaveLength(1);
    await sender.close();
  });

  it('flushes on its own timer once started', async () => {
    const baseUrl = await server.start();
    server.statuses = [503, 503];
    const sender = createDurableWebhookSender({
      baseUrl,
      secret,
      source: 'inference',
      spoolDir,
      flushIntervalMs: 50,
      retry: { maxAttempts: 2, initialDelayMs: 5, maxDelayMs: 10 },
    });
    await sender.send('/later', {});
    sender.start();
    await expect.poll(() => sender.pending(), { timeout: 2000 }).toBe(0);
    await sender.close();
  });
});
