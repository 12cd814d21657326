// Catalogue reads at scale: styles.list, generations.feed and search.query over HTTP at 64
// concurrent connections (autocannon) against a seeded marketplace, next to the ceiling: the same
// SQL issued straight through `pg` at the same concurrency. Not a test: prints figures.
// The seeded database is kept (`sl_bench_catalog_<migrations>`); BENCH_RESEED=1 rebuilds it.
import { spawn } from 'node:child_process';
import { freePort, testServices } from '@stylelicense/test-kit';
import { cpus, loadavg } from 'node:os';
import { fileURLToPath } from 'node:url';
import { ensureTemplateDatabase } from '@stylelicense/db/testing';
import autocannon from 'autocannon';
import pg from 'pg';
import { SIZE, seedCatalog } from './catalog/seed';
import { CEILING_QUERIES, type CeilingQuery } from './catalog/queries';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 64);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 8);
const POOL = Number(process.env.BENCH_POOL ?? 10);

const template = await ensureTemplateDatabase();
const name = `sl_bench_catalog_${template.slice('sl_tpl_'.length)}`;
const urlFor = (database: string) =>
  Object.assign(new URL(testServices.postgres.url), { pathname: `/${database}` }).toString();
const admin = new pg.Client({ connectionString: testServices.postgres.url });
await admin.connect();
const exists = (await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name])).rowCount === 1;
let seeded = false;
if (exists && process.env.BENCH_RESEED !== '1') {
  const probe = new pg.Client({ connectionString: urlFor(name) });
  await probe.connect();
  const { rows } = await probe.query<{ likes: string }>('SELECT count(*) AS likes FROM likes');
  seeded = Number(rows[0]!.likes) >= SIZE.likes;
  await probe.end();
}
if (!seeded) {
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`);
  console.log(
    `seeding ${name}: ${SIZE.users} users, ${SIZE.styles} styles, ${SIZE.generations} generations, ${SIZE.likes} likes`,
  );
  const pool = new pg.Pool({ connectionString: urlFor(name), max: 1 });
  const client = await pool.connect();
  try {
    await seedCatalog(client, console.log);
  } finally {
    client.release();
    await pool.end();
  }
} else {
  console.log(`reusing seeded ${name}`);
}
await admin.end();
const databaseUrl = urlFor(name);

// The API in its own process, configured like production (limits raised: this is a load test):
// once with the anonymous page cache off (every request reads the database) and once on (default).
async function startServer(publicCacheSeconds: number): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const server = spawn(
    process.execPath,
    ['--import', 'tsx', fileURLToPath(new URL('catalog/server.ts', import.meta.url))],
    {
      env: {
        ...process.env,
        MODE: 'development',
        NODE_ENV: 'production',
        HOST: '127.0.0.1',
        PORT: String(port),
        DATABASE_URL: databaseUrl,
        DATABASE_POOL_SIZE: String(POOL),
        LOG_LEVEL: 'warn',
        RATE_LIMIT_STORE: 'redis', // as in production (shared by instances)
        // SPEC's limits are per client; with 5,000 simulated clients none is reached.
        RATE_LIMIT_ANONYMOUS: '1000/60',
        QUEUE_DRIVER: 'in-process',
        PUBLIC_CACHE_SECONDS: String(publicCacheSeconds),
      },
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const url = await new Promise<string>((resolve, reject) => {
    server.once('exit', (code) => reject(new Error(`API exited with ${code}`)));
    server.stdout.on('data', (chunk: Buffer) => {
      const match = /LISTENING (\S+)/.exec(chunk.toString());
      if (match) resolve(match[1]!);
    });
  });
  return {
    url,
    async stop() {
      server.kill('SIGTERM');
      await new Promise((resolve) => server.once('exit', resolve));
    },
  };
}
const uncached = await startServer(0);
const cached = await startServer(5);

const trpcPath = (procedure: string, input: unknown) =>
  `/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
const ENDPOINTS = [
  {
    name: 'styles.list recent',
    path: trpcPath('styles.list', { limit: 20 }),
    ceiling: CEILING_QUERIES.stylesRecent,
    target: { p99: 25, rps: 1500 },
  },
  {
    name: 'styles.list popular',
    path: trpcPath('styles.list', { limit: 20, sort: 'popular' }),
    ceiling: CEILING_QUERIES.stylesPopular,
    target: { p99: 25, rps: 1500 },
  },
  {
    name: 'generations.feed recent',
    path: trpcPath('generations.feed', { limit: 20 }),
    ceiling: CEILING_QUERIES.feedRecent,
    target: { p99: 25, rps: 1500 },
  },
  {
    name: 'generations.feed popular',
    path: trpcPath('generations.feed', { limit: 20, sort: 'popular' }),
    ceiling: CEILING_QUERIES.feedPopular,
    target: { p99: 25, rps: 1500 },
  },
  {
    name: 'search.query all "water"',
    path: trpcPath('search.query', { q: 'water', type: 'all', limit: 10 }),
    ceiling: CEILING_QUERIES.search,
    target: { p99: 50, rps: 0 },
  },
];

const randomIp = () => {
  const n = Math.floor(Math.random() * 5000);
  return `10.${n >> 16}.${(n >> 8) & 255}.${n & 255}`;
};

interface Figures {
  rps: number;
  p50: number;
  p99: number;
}

async function overHttp(target: string): Promise<Figures> {
  const check = await fetch(target);
  if (!check.ok) throw new Error(`${target} answered ${check.status}: ${await check.text()}`);
  // Many visitors, not one: each request comes from one of 5,000 client addresses (the API trusts
  // X-Forwarded-For from loopback, as behind its load balancer), so per-IP rate limiting sees
  // realistic per-client volumes instead of one client making every request.
  const requests = [
    {
      setupRequest: (request: autocannon.Request) => ({
        ...request,
        headers: { ...request.headers, 'x-forwarded-for': randomIp() },
      }),
    },
  ];
  await autocannon({ url: target, connections: CONNECTIONS, duration: 4, requests }); // warm-up: JIT, plan and pool
  const result = await autocannon({ url: target, connections: CONNECTIONS, duration: SECONDS, requests });
  if (result.non2xx || result.errors)
    throw new Error(`${target}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/** The same statements through `pg` (pool of the API's size), CONNECTIONS loops for SECONDS. */
async function overPg(queries: readonly CeilingQuery[]): Promise<Figures> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL });
  try {
    // The API runs a request's statements concurrently (search: styles and people) or as one, the
    // lists as named prepared statements (planned once per connection): so does the ceiling.
    const run = () =>
      Promise.all(
        queries.map((query, i) =>
          pool.query({ name: `ceiling_${i}`, text: query.text, values: query.values }),
        ),
      );
    for (let i = 0; i < 200; i++) await run();
    const latencies: number[] = [];
    const started = performance.now();
    const deadline = started + SECONDS * 1000;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async () => {
        while (performance.now() < deadline) {
          const t = performance.now();
          await run();
          latencies.push(performance.now() - t);
        }
      }),
    );
    latencies.sort((a, b) => a - b);
    const at = (q: number) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!;
    return { rps: latencies.length / ((performance.now() - started) / 1000), p50: at(0.5), p99: at(0.99) };
  } finally {
    await pool.end();
  }
}

try {
  console.log(
    `\n${CONNECTIONS} connections, ${SECONDS} s each; API pool ${POOL}; ${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}`,
  );
  const cols = (f: Figures) =>
    `${f.rps.toFixed(0).padStart(6)} ${f.p50.toFixed(1).padStart(6)} ${f.p99.toFixed(1).padStart(6)}`;
  console.log(
    `${''.padEnd(26)} ${'HTTP, no page cache'.padEnd(20)} | ${'HTTP, 5 s page cache'.padEnd(20)} | ${'pg (ceiling)'.padEnd(20)} |`,
  );
  console.log(
    `${'endpoint'.padEnd(26)} ${'req/s    p50    p99'.padStart(20)} | ${'req/s    p50    p99'.padStart(20)} | ${'req/s    p50    p99'.padStart(20)} | HTTP/pg  target (p99, req/s)`,
  );
  for (const endpoint of ENDPOINTS) {
    const direct = await overHttp(uncached.url + endpoint.path);
    const fromCache = await overHttp(cached.url + endpoint.path);
    const ceiling = await overPg(endpoint.ceiling);
    const verdict = (f: Figures) =>
      f.p99 < endpoint.target.p99 && f.rps >= endpoint.target.rps ? 'met' : 'missed';
    console.log(
      `${endpoint.name.padEnd(26)} ${cols(direct)} | ${cols(fromCache)} | ${cols(ceiling)} | ${(direct.rps / ceiling.rps).toFixed(2).padStart(7)}  ` +
        `< ${endpoint.target.p99} ms${endpoint.target.rps ? `, ≥ ${endpoint.target.rps}` : ''}: ${verdict(direct)} / ${verdict(fromCache)}`,
    );
  }
} finally {
  await Promise.all([uncached.stop(), cached.stop()]);
}
