// Catalogue reads at scale: styles.list, generations.feed and search.query over HTTP at 64
// concurrent connections (autocannon) against a seeded marketplace, signed in (a real session per
// connection: the shared cached page plus each viewer's likes and follows) and anonymous (the page
// cache's bytes), next to the ceiling: the same SQL issued straight through `pg` at the same
// concurrency. Then search's ranked statements before and after through `pg`. Not a test: prints
// figures. The seeded database is kept (`sl_bench_catalog_<migrations>`); BENCH_RESEED=1 rebuilds it.
import { testServices } from '@stylelicense/test-kit';
import { cpus, loadavg } from 'node:os';
import { createDatabase, genericPlanPool } from '@stylelicense/db';
import { ensureTemplateDatabase } from '@stylelicense/db/testing';
import autocannon from 'autocannon';
import pg from 'pg';
import { createSession } from '../src/identity/sessions';
import { SIZE, seedCatalog } from './catalog/seed';
import { CEILING_QUERIES, type CeilingQuery } from './catalog/queries';
import { peopleSearchQuery, styleSearchQuery } from '../src/search/queries';
import { startApiProcess } from './support/api-process';
import * as searchBefore from './support/search-before';

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

// One API process configured like production (limits raised: this is a load test), with the
// default 5 s page cache: anonymous pages are its bytes, signed-in pages its shared rows plus the
// viewer's part read per request.
const api = await startApiProcess({
  DATABASE_URL: databaseUrl,
  DATABASE_POOL_SIZE: String(POOL),
  RATE_LIMIT_STORE: 'redis', // as in production (shared by instances)
  // SPEC's limits are per client; with 5,000 simulated visitors and 64 members none is reached.
  RATE_LIMIT_ANONYMOUS: '1000/60',
  RATE_LIMIT_USER: '1000000/60',
  PUBLIC_CACHE_SECONDS: '5',
});

// A real session per connection, for members who like and follow things on the pages measured
// (the overlay then has rows to find): the most active likers of the newest generations.
const db = createDatabase({ url: databaseUrl, poolSize: 2 });
const members = await db.$queryRaw<Array<{ user_id: string }>>`
  SELECT l.user_id::text AS user_id FROM likes l
  WHERE l.generation_id IN (SELECT id FROM generations WHERE is_public AND NOT is_hidden AND status = 'completed'
                            ORDER BY created_at DESC LIMIT 200)
  GROUP BY l.user_id ORDER BY count(*) DESC, l.user_id LIMIT ${CONNECTIONS}`;
const sessionCookies = await Promise.all(
  members.map(async ({ user_id }) => {
    const { token } = await createSession(db, { ttlMs: 24 * 3600_000 }, { userId: user_id });
    return `sl_session=${token}`;
  }),
);
await db.$disconnect();

const trpcPath = (procedure: string, input: unknown) =>
  `/trpc/${procedure}?input=${encodeURIComponent(JSON.stringify({ json: input }))}`;
const ENDPOINTS = [
  {
    name: 'styles.list recent',
    path: trpcPath('styles.list', { limit: 20 }),
    ceiling: CEILING_QUERIES.stylesRecent,
  },
  {
    name: 'styles.list popular',
    path: trpcPath('styles.list', { limit: 20, sort: 'popular' }),
    ceiling: CEILING_QUERIES.stylesPopular,
  },
  {
    name: 'generations.feed recent',
    path: trpcPath('generations.feed', { limit: 20 }),
    ceiling: CEILING_QUERIES.feedRecent,
  },
  {
    name: 'generations.feed popular',
    path: trpcPath('generations.feed', { limit: 20, sort: 'popular' }),
    ceiling: CEILING_QUERIES.feedPopular,
  },
  {
    name: 'search.query all "water"',
    path: trpcPath('search.query', { q: 'water', type: 'all', limit: 10 }),
    ceiling: CEILING_QUERIES.search,
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

async function overHttp(target: string, signedIn: boolean): Promise<Figures> {
  const check = await fetch(target, signedIn ? { headers: { cookie: sessionCookies[0]! } } : {});
  if (!check.ok) throw new Error(`${target} answered ${check.status}: ${await check.text()}`);
  if (signedIn === (check.headers.get('x-cache') !== null))
    throw new Error(
      `${target}: a ${signedIn ? 'member' : 'visitor'} got X-Cache ${check.headers.get('x-cache')}`,
    );
  // Many visitors, not one: each request comes from one of 5,000 client addresses (the API trusts
  // X-Forwarded-For from loopback, as behind its load balancer), so per-IP rate limiting sees
  // realistic per-client volumes instead of one client making every request. Signed in, each
  // connection is one member: their session cookie on every request it makes.
  let members = 0;
  const requests = [
    {
      setupRequest: (request: autocannon.Request, context: { cookie?: string }) => ({
        ...request,
        headers: {
          ...request.headers,
          'x-forwarded-for': randomIp(),
          ...(signedIn
            ? { cookie: (context.cookie ??= sessionCookies[members++ % sessionCookies.length]!) }
            : {}),
        },
      }),
    },
  ];
  await autocannon({ url: target, connections: CONNECTIONS, duration: 4, requests }); // warm-up: JIT, plan and pool
  const result = await autocannon({ url: target, connections: CONNECTIONS, duration: SECONDS, requests });
  if (result.non2xx || result.errors)
    throw new Error(
      `${target} (${signedIn ? 'signed in' : 'anonymous'}): ${result.non2xx} non-2xx (${JSON.stringify(result.statusCodeStats)}), ${result.errors} errors`,
    );
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
}

/** The same statements through `pg` (pool of the API's size), CONNECTIONS loops for SECONDS. */
async function overPg(queries: readonly CeilingQuery[]): Promise<Figures> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: POOL });
  // As the API's companion pool: sessions that plan each prepared statement once, half as many.
  const genericPlans = new pg.Pool({ connectionString: databaseUrl, ...genericPlanPool(POOL) });
  try {
    // The API runs a request's statements concurrently (search: styles and people) or as one, as
    // named prepared statements, each on the pool it uses: so does the ceiling.
    const run = () =>
      Promise.all(
        queries.map((query, i) =>
          (query.plan === 'generic' ? genericPlans : pool).query({
            name: `ceiling_${i}`,
            text: query.text,
            values: query.values,
          }),
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
    await Promise.all([pool.end(), genericPlans.end()]);
  }
}

/**
 * The queries whose results before and after must be alike (the same hits in the same order, the
 * same matched tags): a common word, an exact tag (ranks above names), a typo, two words, a word
 * every artist name has, and pages further down. Scores may differ: only an exact match scores 1
 * now, where before a tag with the query's words in another order ("sky silver") did too.
 */
const SAME_ROWS_FOR = ['water', 'ocean', 'watr', 'silver sky', 'studio', 'a'].flatMap((q) =>
  [
    [11, 0],
    [11, 10],
    [51, 0],
  ].map(([limit, offset]) => ({ q, limit: limit!, offset: offset! })),
);

/** The queries of SAME_ROWS_FOR whose results differ between search's statements before and now. */
async function differingRows(): Promise<string[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const rowsOf = async (statements: Array<{ text: string; values: unknown[] }>) =>
    JSON.stringify(
      await Promise.all(
        statements.map(async ({ text, values }) =>
          (await client.query<{ id: string; matched_tags?: string[] }>({ text, values })).rows.map((r) => [
            r.id,
            r.matched_tags ?? null,
          ]),
        ),
      ),
    );
  try {
    const differing: string[] = [];
    for (const { q, limit, offset } of SAME_ROWS_FOR) {
      const before = await rowsOf([
        searchBefore.styleSearchQuery(q, limit, offset),
        searchBefore.peopleSearchQuery(q, limit, offset),
      ]);
      const now = await rowsOf([styleSearchQuery(q, limit, offset), peopleSearchQuery(q, limit, offset)]);
      if (before !== now) differing.push(`"${q}" ${limit}@${offset}`);
    }
    return differing;
  } finally {
    await client.end();
  }
}

try {
  console.log(
    `\n${CONNECTIONS} connections (${sessionCookies.length} member sessions), ${SECONDS} s each; API pool ${POOL}; ` +
      `${cpus().length} CPUs, load average ${loadavg()[0]!.toFixed(1)}`,
  );
  const cols = (f: Figures) =>
    `${f.rps.toFixed(0).padStart(6)} ${f.p50.toFixed(1).padStart(6)} ${f.p99.toFixed(1).padStart(6)}`;
  console.log(
    `${''.padEnd(26)} ${'signed in (shared+own)'.padEnd(20)} | ${'anonymous, 5 s cache'.padEnd(20)} | ${'pg (same SQL)'.padEnd(20)} |`,
  );
  console.log(
    `${'endpoint'.padEnd(26)} ${'req/s    p50    p99'.padStart(20)} | ${'req/s    p50    p99'.padStart(20)} | ${'req/s    p50    p99'.padStart(20)} | ` +
      'in/pg ≥ 2  in p99/anon p99 ≤ 1.5',
  );
  for (const endpoint of ENDPOINTS) {
    const member = await overHttp(api.url + endpoint.path, true);
    const visitor = await overHttp(api.url + endpoint.path, false);
    const ceiling = await overPg(endpoint.ceiling);
    const throughput = member.rps / ceiling.rps;
    const tail = member.p99 / visitor.p99;
    console.log(
      `${endpoint.name.padEnd(26)} ${cols(member)} | ${cols(visitor)} | ${cols(ceiling)} | ` +
        `${throughput.toFixed(2).padStart(5)} ${throughput >= 2 ? 'met   ' : 'missed'} ${tail.toFixed(2).padStart(6)} ${tail <= 1.5 ? 'met' : 'missed'}`,
    );
  }

  const [before, after] = [CEILING_QUERIES.searchBefore, CEILING_QUERIES.search];
  const differing = await differingRows();
  const old = await overPg(before);
  const now = await overPg(after);
  console.log(
    `\nsearch "water" statements through pg: before ${cols(old)} | after ${cols(now)} | ` +
      `after/before ${(now.rps / old.rps).toFixed(1)} (target ≥ 5: ${now.rps / old.rps >= 5 ? 'met' : 'missed'}); ` +
      `same results for ${SAME_ROWS_FOR.length} queries and pages: ${differing.length === 0 ? 'yes' : `NO (${differing.join(', ')})`}`,
  );
} finally {
  await api.stop();
}
