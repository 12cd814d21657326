import { afterEach, describe, expect, it } from 'vitest';
import { DomainError, generateWebhookSecret, verifyWebhook } from '@stylelicense/contracts';
import { createWebhookSender } from '../src/index';
import { ScriptedWebhookServer } from './webhook-server';

const secret = generateWebhookSecret();
const fastRetry = { maxAttempts: 4, initialDelayMs: 20, maxDelayMs: 100 };
let server: ScriptedWebhookServer;

afterEach(async () => {
  await server.stop();
});

describe('webhook sender', () => {
  it('retries 5xx and 429 with the same webhook id, then delivers a verifiable request', async () => {
    server = new ScriptedWebhookServer();
    const baseUrl = await server.start();
    server.statuses = [503, 500, 429];
    const sender = createWebhookSender({ baseUrl, secret, source: 'inference', retry: fastRetry });

    const delivery = await sender.send('/api/webhooks/inference/progress', { v: 1, generationId: 'gen_1' });

    expect(delivery.attempts).toBe(4);
    expect(delivery.status).toBe(200);
    expect(delivery.body).toEqual({ status: 200 });
    expect(server.received).toHaveLength(4);
    const ids = new Set(server.received.map((request) => request.headers['webhook-id']));
    expect([...ids]).toEqual([delivery.webhookId]);
    for (const request of server.received) {
      expect(request.path).toBe('/api/webhooks/inference/progress');
      expect(request.headers['webhook-source']).toBe('inference');
      expect(verifyWebhook({ secret, headers: request.headers, body: request.body }).id).toBe(
        delivery.webhookId,
      );
    }
    expect(JSON.parse(server.received[0]?.body ?? '')).toEqual({ v: 1, generationId: 'gen_1' });
  });

  it('gives each logical event its own id', async () => {
    server = new ScriptedWebhookServer();
    const sender = createWebhookSender({
      baseUrl: await server.start(),
      secret,
      source: 'training',
      retry: fastRetry,
    });
    const first = await sender.send('/a', {});
    const second = await sender.send('/a', {});
    expect(first.webhookId).not.toBe(second.webhookId);
  });

  it('gives up at once on a 4xx with a clear error', async () => {
    server = new ScriptedWebhookServer();
    const baseUrl = await server.start();
    server.statuses = [400];
    const sender = createWebhookSender({ baseUrl, secret, source: 'training', retry: fastRetry });
    const error = await sender.send('/api/webhooks/training/complete', {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(DomainError);
    expect((error as DomainError).code).toBe('WEBHOOK_REJECTED');
    expect((error as DomainError).details?.status).toBe(400);
    expect((error as DomainError).message).toMatch(/HTTP 400/);
    expect(server.received).toHaveLength(1);
  });

  it('stops after the bounded number of attempts when the API keeps failing', async () => {
    server = new ScriptedWebhookServer();
    const baseUrl = await server.start();
    server.statuses = [502, 502, 502, 502, 502];
    const sender = createWebhookSender({ baseUrl, secret, source: 'training', retry: fastRetry });
    const error = (await sender.send('/x', {}).catch((caught: unknown) => caught)) as DomainError;
    expect(error.code).toBe('WEBHOOK_DELIVERY_FAILED');
    expect(error.message).toMatch(/after 4 attempts \(HTTP 502\)/);
    expect(server.received).toHaveLength(4);
  });

  it('retries network errors until the API comes up', async () => {
    server = new ScriptedWebhookServer();
    const baseUrl = await server.start();
    const port = server.port;
    await server.stop();
    // The real fetch, watched: the API comes up once an attempt has found it down.
    let refusedOnce!: () => void;
    const refused = new Promise<void>((resolve) => (refusedOnce = resolve));
    const watchedFetch: typeof fetch = (input, init) =>
      fetch(input, init).catch((error: unknown) => {
        refusedOnce();
        throw error;
      });
    const sender = createWebhookSender({
      baseUrl,
      secret,
      source: 'training',
      fetch: watchedFetch,
      retry: { maxAttempts: 200, initialDelayMs: 50, maxDelayMs: 100 }, // 20 s to come up
    });
    const sending = sender.send('/late', { done: true });
    await refused;
    await server.start(port);
    const delivery = await sending;
    expect(delivery.attempts).toBeGreaterThan(1);
    expect(server.received).toHaveLength(1);
  });

  it('refuses a malformed secret at construction', () => {
    expect(() => createWebhookSender({ baseUrl: 'http://127.0.0.1:1', secret: 'nope', source: 'x' })).toThrow(
      /whsec_/,
    );
  });
});
