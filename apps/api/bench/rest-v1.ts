// REST v1 beside tRPC: `GET /api/v1/styles` and `GET /trpc/styles.list` call the same procedure,
// so the difference is the transport (routing, query-string input, JSON vs superjson). Both are
// measured in the same run against the same API process, anonymous (per-IP limits) and with an API
// key (Bearer: one key lookup per request on both). Target: REST ≥ 0.9× tRPC's throughput.
import { cpus, loadavg } from 'node:os';
import { createTestDatabase } from '@stylelicense/db/testing';
import autocannon from 'autocannon';
import { createApiKey } from '../src/apikeys/apikeys';
import { startApiProcess } from './support/api-process';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const STYLES = 200;

const database = await createTestDatabase();
const { db } = database;
const artist = await db.user.create({
  data: { username: 'bench_artist', provider: 'dev', providerUserId: 'bench_artist', role: 'artist' },
});
await db.artist.create({
  data: {
    userId: artist.id,
    artistName: 'Bench Artist',
    signatureImage: `signatures/${artist.id}.png`,
    verifiedEmail: 'bench@example.com',
  },
});
await db.style.createMany({
  data: Array.from({ length: STYLES }, (_, i) => ({
    artistId: artist.id,
    name: `bench style ${i}`,
    generationCostTokens: 5,
    trainingStatus: 'completed' as const,
    modelPath: `models/${i}/lora.safetensors`,
  })),
});
const { key } = await createApiKey(
  { db },
  { userId: artist.id, role: 'artist' },
  {
    name: 'bench',
    scopes: ['read'],
  },
);

const server = await startApiProcess({
  DATABASE_URL: database.url,
  RATE_LIMIT_STORE: 'memory',
  RATE_LIMIT_ANONYMOUS: '1000/60',
  RATE_LIMIT_USER: '100000000/60',
  // Every request reads the database: the anonymous page cache would answer tRPC before the procedure.
  PUBLIC_CACHE_SECONDS: '0',
});
const { url } = server;

interface Figures {
  rps: number;
  p99: number;
}

const randomIp = () => {
  const n = Math.floor(Math.random() * 5000);
  return `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`;
};

async function measure(path: string, headers: Record<string, string>): Promise<Figures> {
  const check = await fetch(url + path, { headers });
  if (!check.ok) throw new Error(`${path} answered ${check.status}: ${await check.text()}`);
  const requests = [
    {
      setupRequest: (request: autocannon.Request) => ({
        ...request,
        headers: { ...request.headers, ...headers, 'x-forwarded-for': randomIp() },
      }),
    },
  ];
  const options = { url: url + path, connections: CONNECTIONS, requests };
  await autocannon({ ...options, duration: 3 }); // warm-up: JIT, plans, pool
  const result = await autocannon({ ...options, duration: SECONDS });
  if (result.non2xx || result.errors)
    throw new Error(`${path}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p99: result.latency.p99 };
}

const trpc = `/trpc/styles.list?input=${encodeURIComponent(JSON.stringify({ json: { limit: 20 } }))}`;
const rest = '/api/v1/styles?limit=20';
try {
  console.log(
    `${CONNECTIONS} connections, ${SECONDS} s each; ${STYLES} styles; ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}`,
  );
  console.log(
    `${'styles.list, limit 20'.padEnd(24)} ${'tRPC req/s   p99'.padStart(18)} | ${'REST req/s   p99'.padStart(18)} | REST/tRPC  target ≥ 0.9`,
  );
  for (const [label, headers] of [
    ['anonymous', {}],
    ['API key (Bearer)', { authorization: `Bearer ${key}` }],
  ] as const) {
    // Alternating order, so neither side always runs on the warmer process.
    const viaTrpc = await measure(trpc, headers);
    const viaRest = await measure(rest, headers);
    const ratio = viaRest.rps / viaTrpc.rps;
    const cols = (f: Figures) => `${f.rps.toFixed(0).padStart(10)} ${f.p99.toFixed(1).padStart(6)}`;
    console.log(
      `${label.padEnd(24)} ${cols(viaTrpc)} | ${cols(viaRest)} | ${ratio.toFixed(2).padStart(9)}  ${ratio >= 0.9 ? 'met' : 'missed'}`,
    );
  }
} finally {
  await server.stop();
  await database.drop();
}
