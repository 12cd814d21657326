// Ledger holds per second at 32-way concurrency, as generations.create takes them (inside its
// transaction), against the ceiling: the same conditional debit as one raw UPDATE through `pg` (no
// ledger entry, no Prisma), in the same run on the same database. Not a test: prints figures, and
// fails when the holds it counted are not the ledger entries written.
// `pnpm --filter @stylelicense/api bench`.
import { withTransaction } from '@stylelicense/db';
import { createTestDatabase } from '@stylelicense/db/testing';
import pg from 'pg';
import { holdForGeneration } from '../src/tokens/ledger';

const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const PER_WORKER = Number(process.env.BENCH_GENERATIONS_PER_WORKER ?? 8000);

const database = await createTestDatabase({ poolSize: CONCURRENCY });
const db = database.db;
const raw = new pg.Pool({ connectionString: database.url, max: CONCURRENCY });

try {
  // One buyer per worker (row locks are not what we measure), an artist with a style, and queued
  // generations for every hold the run may take.
  const setup = await raw.connect();
  try {
    await setup.query(
      `
      INSERT INTO users (id, username, provider, provider_user_id, token_balance, role, updated_at)
      SELECT gen_random_uuid(), 'bench_' || n, 'dev', 'bench_' || n, 1000000000, CASE WHEN n = 0 THEN 'artist'::"Role" ELSE 'user'::"Role" END, now()
      FROM generate_series(0, $1::int) n`,
      [CONCURRENCY],
    );
    await setup.query(`INSERT INTO artists (user_id, artist_name, signature_image, verified_email, updated_at)
      SELECT id, 'Bench Artist', 'signatures/bench.png', 'bench@example.com', now() FROM users WHERE username = 'bench_0'`);
    await setup.query(`INSERT INTO styles (id, artist_id, name, generation_cost_tokens, training_status, updated_at)
      SELECT gen_random_uuid(), id, 'bench style', 1, 'completed', now() FROM users WHERE username = 'bench_0'`);
    await setup.query(
      `
      INSERT INTO generations (id, user_id, style_id, aspect_ratio, seed, consumed_tokens, updated_at)
      SELECT gen_random_uuid(), u.id, s.id, '1:1', g, 1, now()
      FROM users u CROSS JOIN styles s CROSS JOIN generate_series(1, $1::int) g WHERE u.username <> 'bench_0'`,
      [PER_WORKER],
    );
  } finally {
    setup.release();
  }
  const styleId = (await raw.query<{ id: string }>('SELECT id FROM styles LIMIT 1')).rows[0]!.id;
  const buyers = (
    await raw.query<{ id: string }>("SELECT id FROM users WHERE username <> 'bench_0' ORDER BY username")
  ).rows.map((r) => r.id);
  const work = new Map<string, string[]>();
  for (const row of (await raw.query<{ user_id: string; id: string }>('SELECT user_id, id FROM generations'))
    .rows) {
    (work.get(row.user_id) ?? work.set(row.user_id, []).get(row.user_id)!).push(row.id);
  }

  /** Runs `step` in CONCURRENCY loops for SECONDS; returns completed steps per second. */
  async function measure(
    name: string,
    step: (worker: number, i: number) => Promise<unknown>,
  ): Promise<number> {
    const deadline = performance.now() + SECONDS * 1000;
    const started = performance.now();
    let done = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async (_, worker) => {
        for (let i = 0; performance.now() < deadline; i++) {
          await step(worker, i);
          done++;
        }
      }),
    );
    const perSecond = done / ((performance.now() - started) / 1000);
    console.log(
      `${name.padEnd(52)} ${perSecond.toFixed(0).padStart(7)} /s  (${done} in ${SECONDS} s, ${CONCURRENCY}-way)`,
    );
    return perSecond;
  }

  const cursor = new Map<number, number>();
  const nextGeneration = (worker: number) => {
    const i = cursor.get(worker) ?? 0;
    cursor.set(worker, i + 1);
    const id = work.get(buyers[worker]!)![i];
    if (!id) throw new Error('ran out of generations: raise BENCH_GENERATIONS_PER_WORKER');
    return id;
  };
  let holdsTaken = 0;
  const hold = (worker: number) =>
    withTransaction(db, async (tx) => {
      const result = await holdForGeneration(tx, {
        userId: buyers[worker]!,
        generationId: nextGeneration(worker),
        styleId,
        amount: 1,
      });
      if (!result.applied) throw new Error('a hold on a fresh generation was not applied');
      holdsTaken++;
    });
  const ceilingStep = (worker: number) =>
    raw.query('UPDATE users SET token_balance = token_balance - $2 WHERE id = $1 AND token_balance >= $2', [
      buyers[worker],
      1,
    ]);
  // The same bare UPDATE through Prisma: what the client itself costs per statement, for reference.
  const prismaCeilingStep = (worker: number) =>
    db.$executeRaw`UPDATE users SET token_balance = token_balance - ${1} WHERE id = ${buyers[worker]}::uuid AND token_balance >= ${1}`;

  // Warm every path (pool connections, Prisma's runtime, V8, plans) before measuring: Prisma's first
  // second runs at a fraction of its steady rate.
  const quiet = async (step: (worker: number) => Promise<unknown>) => {
    const until = performance.now() + 1500;
    await Promise.all(
      buyers.map(async (_, w) => {
        while (performance.now() < until) await step(w);
      }),
    );
  };
  await quiet(ceilingStep);
  await quiet(prismaCeilingStep);
  await quiet(hold);

  // Rounds interleave the three so a busy neighbour on the machine slows all of them alike; medians reported.
  console.log(
    `\nledger holds vs the raw conditional UPDATE (PostgreSQL, ${CONCURRENCY} connections each, ${ROUNDS} rounds of ${SECONDS} s)\n`,
  );
  const ceilings: number[] = [];
  const composeds: number[] = [];
  const prismaCeilings: number[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    ceilings.push(await measure(`#${round} raw UPDATE through pg (ceiling)`, ceilingStep));
    composeds.push(await measure(`#${round} hold inside withTransaction (Prisma tx client)`, hold));
    prismaCeilings.push(
      await measure(`#${round} (reference) the bare UPDATE through Prisma`, prismaCeilingStep),
    );
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
  const [ceiling, composed] = [median(ceilings), median(composeds)];
  console.log(`\nmedian ceiling (raw UPDATE):            ${ceiling.toFixed(0)} /s`);
  console.log(
    `median holds in a Prisma transaction:   ${composed.toFixed(0)} /s   ratio ${(composed / ceiling).toFixed(2)}`,
  );
  const viaPrisma = median(prismaCeilings);
  console.log(
    `reference: the bare UPDATE through Prisma ${viaPrisma.toFixed(0)} /s   ratio ${(viaPrisma / ceiling).toFixed(2)} (the client's own cost)`,
  );

  const entries = (
    await raw.query<{ n: number }>("SELECT count(*)::int AS n FROM transactions WHERE type = 'generation'")
  ).rows[0]!.n;
  console.log(`ledger entries written: ${entries}, holds counted: ${holdsTaken}`);
  if (entries !== holdsTaken) {
    console.error('FAILED: every hold must write exactly one ledger entry');
    process.exitCode = 1;
  }
} finally {
  await raw.end();
  await database.drop();
}
