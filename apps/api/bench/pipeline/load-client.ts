// The bench's HTTP load generator, in its own process so that the client's work does not share the
// server's event loop. Input (JSON on argv[2]): { url, count, concurrency, mode: 'health' | 'webhook',
// secret?, generationIds? }. Prints { ms } once every request answered 200.
import { Agent, request } from 'node:http';
import { newWebhookId, webhookHeaders, WEBHOOK_ROUTES } from '@stylelicense/contracts';

interface Plan {
  url: string;
  count: number;
  concurrency: number;
  mode: 'health' | 'webhook';
  secret?: string;
  generationIds?: string[];
}

const plan = JSON.parse(process.argv[2] ?? '{}') as Plan;
const base = new URL(plan.url);
const agent = new Agent({ keepAlive: true, maxSockets: plan.concurrency });

// Signed before the clock starts: the figure is the server's, not the signer's.
const requests = Array.from({ length: plan.count }, (_, n) => {
  if (plan.mode === 'health') return { method: 'GET', path: '/api/health', headers: {}, body: undefined };
  const ids = plan.generationIds ?? [];
  const body = JSON.stringify({
    v: 1,
    generationId: ids[n % ids.length],
    attempt: 1,
    progress: {
      step: n % 30,
      totalSteps: 30,
      percent: Math.round(((n % 30) / 30) * 1000) / 10,
      etaSeconds: 2,
    },
  });
  const headers = {
    'content-type': 'application/json',
    ...webhookHeaders({ secret: plan.secret!, id: newWebhookId(), body }),
  };
  return { method: 'POST', path: WEBHOOK_ROUTES.generationProgress.path, headers, body };
});

function send(index: number): Promise<void> {
  const { method, path, headers, body } = requests[index]!;
  return new Promise((resolve, reject) => {
    const req = request({ host: base.hostname, port: base.port, method, path, headers, agent }, (res) => {
      res.resume();
      res.on('end', () =>
        res.statusCode === 200 ? resolve() : reject(new Error(`${path} answered ${res.statusCode}`)),
      );
    });
    req.on('error', reject);
    req.end(body);
  });
}

let next = 0;
const started = performance.now();
await Promise.all(
  Array.from({ length: plan.concurrency }, async () => {
    while (next < plan.count) await send(next++);
  }),
);
const ms = performance.now() - started;
agent.destroy();
console.log(JSON.stringify({ ms }));
