import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { parseMessage, verifyWebhook, WEBHOOK_ROUTES, type WebhookRoute } from '@stylelicense/contracts';

export interface ReceivedWebhook {
  route: WebhookRoute;
  webhookId: string;
  /** The body as the API's schema reads it. */
  body: Record<string, unknown> & { styleId: string };
}

/** Lets a test decide when (or whether) a request is answered; `undefined` = answer now. */
export type Hold = (route: WebhookRoute, body: ReceivedWebhook['body']) => Promise<void> | undefined;

/**
 * A stand-in for the API's webhook adapter on loopback: verifies the Standard Webhooks signature
 * with the training secret (401 otherwise), parses the body with the route's contracts schema
 * (400 otherwise), records each webhook id once, in arrival order.
 */
export async function startWebhookReceiver(secret: string) {
  const received: ReceivedWebhook[] = [];
  const refused: { path: string; status: number; reason: string }[] = [];
  let hold: Hold | undefined;
  let answerWith: ((route: WebhookRoute, body: ReceivedWebhook['body']) => object | undefined) | undefined;
  const routes = new Map<string, WebhookRoute>(
    Object.entries(WEBHOOK_ROUTES).map(([name, route]): [string, WebhookRoute] => [
      route.path,
      name as WebhookRoute,
    ]),
  );

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      void answer(req, res, Buffer.concat(chunks)).catch(() => res.destroy());
    });
  });

  async function answer(req: IncomingMessage, res: ServerResponse, raw: Buffer): Promise<void> {
    const path = req.url ?? '';
    const route = routes.get(path);
    if (req.method !== 'POST' || !route || WEBHOOK_ROUTES[route].source !== 'training') {
      refused.push({ path, status: 404, reason: 'unknown route' });
      res.writeHead(404).end();
      return;
    }
    let webhookId: string;
    try {
      webhookId = verifyWebhook({ secret, headers: req.headers, body: raw }).id;
    } catch (error) {
      refused.push({ path, status: 401, reason: String(error) });
      res.writeHead(401).end();
      return;
    }
    let body: ReceivedWebhook['body'];
    try {
      body = parseMessage(WEBHOOK_ROUTES[route].schema, raw);
    } catch (error) {
      refused.push({ path, status: 400, reason: String(error) });
      res.writeHead(400).end();
      return;
    }
    const waiting = hold?.(route, body);
    if (waiting) await waiting;
    if (!received.some((r) => r.webhookId === webhookId)) received.push({ route, webhookId, body });
    const reply = answerWith?.(route, body) ?? { status: 'applied' };
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(reply));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${address.port}`,
    received,
    refused,
    setHold(next: Hold | undefined) {
      hold = next;
    },
    /** What the adapter answers (default `{ status: 'applied' }`, as the API's for a fresh report). */
    setAnswer(next: typeof answerWith) {
      answerWith = next;
    },
    /** The webhooks about one style, in arrival order. */
    forStyle(styleId: string) {
      return received.filter((r) => r.body.styleId === styleId);
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

export type WebhookReceiver = Awaited<ReturnType<typeof startWebhookReceiver>>;
