import type pg from 'pg';

/** Marketplace size (SPEC bench: ≥ 50k users, 10k styles, 200k generations, 1M likes). */
export const SIZE = {
  users: 50_000,
  artists: 2_000,
  follows: 300_000,
  styles: 10_000,
  generations: 200_000,
  likes: 1_000_000,
};

// English words for style names, artist names, usernames and tags, so search has something to rank.
export const WORDS =
  `amber aqua arctic ash aurora autumn azure bamboo baroque birch bloom blossom blue bold breeze bronze
brush canvas carbon cedar charcoal cherry chrome cinder citrus clay cloud cobalt copper coral cosmic cotton crimson crystal
dawn desert dream dusk ember emerald fable fern fire flora fog forest frost garden gilded glass glow gold granite harbor
haze honey indigo ink iris ivory jade jasmine lagoon lantern lavender lemon lilac linen lotus lunar maple marble meadow
midnight mint mist moss neon noir oak ocean olive onyx opal orchid pastel pearl pebble pepper pine plum polar poppy
prism quartz rain raven reef river rose ruby rust saffron sage sand sapphire scarlet shadow silk silver sketch sky slate
smoke snow solar spring steel stone storm summer sunset teal thunder tide topaz twilight velvet violet watercolor wave
willow winter wood`.split(/\s+/);

/**
 * Seeds the marketplace with set-based SQL (INSERT … SELECT generate_series): deterministic ids
 * (md5 of a prefix and the row number), realistic skew (a few artists have most followers, a few
 * generations most likes), counters computed from the rows so findCounterDrift agrees.
 */
export async function seedCatalog(client: pg.PoolClient, log: (line: string) => void): Promise<void> {
  const step = async (what: string, sql: string, params: unknown[] = []) => {
    const started = performance.now();
    const result = await client.query(sql, params);
    log(
      `  ${what.padEnd(34)} ${String(result.rowCount ?? '').padStart(9)} rows  ${((performance.now() - started) / 1000).toFixed(1)} s`,
    );
  };
  await client.query(
    "SET synchronous_commit = off; SET maintenance_work_mem = '256MB'; SET work_mem = '64MB'",
  );
  const w = WORDS;
  await step(
    'users',
    `INSERT INTO users (id, username, provider, provider_user_id, role, token_balance, created_at, updated_at)
     SELECT md5('u' || n)::uuid, ($2::text[])[1 + n % cardinality($2::text[])] || '_' || n, 'dev', 'u' || n,
            CASE WHEN n <= $3 THEN 'artist' ELSE 'user' END::"Role", 100, now() - n * interval '1 minute', now()
     FROM generate_series(1, $1::int) n`,
    [SIZE.users, w, SIZE.artists],
  );
  await step(
    'artists',
    `INSERT INTO artists (user_id, artist_name, signature_image, verified_email, updated_at)
     SELECT md5('u' || n)::uuid, initcap(($1::text[])[1 + (n * 7) % cardinality($1::text[])]) || ' ' || initcap(($1::text[])[1 + (n * 11) % cardinality($1::text[])]) || ' Studio',
            'signatures/' || md5('u' || n) || '.png', 'artist' || n || '@example.com', now()
     FROM generate_series(1, $2::int) n`,
    [w, SIZE.artists],
  );
  await step(
    'follows',
    `INSERT INTO follows (follower_id, following_id, created_at)
     SELECT md5('u' || f)::uuid, md5('u' || a)::uuid, now() - random() * interval '365 days'
     FROM (SELECT 1 + floor(random() * $1)::int AS f, 1 + floor($2 * random() ^ 3)::int AS a FROM generate_series(1, $3::int)) x
     WHERE f <> a ON CONFLICT DO NOTHING`,
    [SIZE.users, SIZE.artists, SIZE.follows],
  );
  await step(
    'artists.follower_count',
    `UPDATE artists a SET follower_count = x.c FROM (SELECT following_id, count(*) AS c FROM follows GROUP BY 1) x WHERE x.following_id = a.user_id`,
  );
  await step(
    'tags',
    `INSERT INTO tags (id, name) SELECT md5('t' || i)::uuid, name FROM (
       SELECT row_number() OVER () AS i, name FROM (
         SELECT unnest($1::text[]) AS name
         UNION ALL
         SELECT a || ' ' || b FROM unnest($1::text[]) WITH ORDINALITY x(a, i), unnest($1::text[]) WITH ORDINALITY y(b, j) WHERE (i * 17 + j) % 53 = 0 AND i <> j
       ) names
     ) t`,
    [w],
  );
  await step(
    'styles',
    `INSERT INTO styles (id, artist_id, name, description, thumbnail, model_path, training_status, license_type, generation_cost_tokens,
                         is_flagged, is_active, created_at, updated_at)
     SELECT md5('s' || n)::uuid, md5('u' || (1 + n % $2))::uuid,
            initcap(($3::text[])[1 + (n * 13) % cardinality($3::text[])]) || ' ' || initcap(($3::text[])[1 + (n * 31) % cardinality($3::text[])]) || ' ' || n,
            'A benchmark style', 'training/' || md5('s' || n) || '/0', 'models/' || md5('s' || n) || '/lora.safetensors',
            CASE WHEN n % 25 = 0 THEN 'training' WHEN n % 40 = 0 THEN 'failed' ELSE 'completed' END::"TrainingStatus",
            'personal', 1 + n % 20, n % 100 = 0, n % 50 <> 0, now() - n * interval '53 minutes', now()
     FROM generate_series(1, $1::int) n`,
    [SIZE.styles, SIZE.artists, w],
  );
  await step(
    'style_tags',
    `INSERT INTO style_tags (style_id, tag_id, sequence)
     SELECT md5('s' || n)::uuid, md5('t' || (1 + (n * 7 + k * 151) % t.c))::uuid, k
     FROM generate_series(1, $1::int) n, generate_series(1, 3) k, (SELECT count(*)::int AS c FROM tags) t`,
    [SIZE.styles],
  );
  await step(
    'generations',
    `INSERT INTO generations (id, user_id, style_id, aspect_ratio, seed, consumed_tokens, result_image, status, is_public, is_hidden,
                              created_at, completed_at, updated_at)
     SELECT md5('g' || n)::uuid, md5('u' || (1 + (n * 7919) % $2))::uuid, md5('s' || (1 + (n * 31) % $3))::uuid, '1:1', n, 5,
            'results/' || md5('g' || n) || '.png', CASE WHEN n % 10 = 0 THEN 'failed' ELSE 'completed' END::"GenerationStatus",
            n % 5 <> 0, n % 97 = 0, now() - n * interval '150 seconds', now() - n * interval '150 seconds', now()
     FROM generate_series(1, $1::int) n`,
    [SIZE.generations, SIZE.users, SIZE.styles],
  );
  await step(
    'generation_tags',
    `INSERT INTO generation_tags (generation_id, tag_id, sequence)
     SELECT md5('g' || n)::uuid, md5('t' || (1 + (n * 3 + k * 50) % t.c))::uuid, k
     FROM generate_series(1, $1::int) n, generate_series(1, 2) k, (SELECT count(*)::int AS c FROM tags) t`,
    [SIZE.generations],
  );
  // Likes only where a like is allowed (public, visible, completed), skewed towards a few generations.
  for (let round = 1; ; round++) {
    const { rows } = await client.query<{ c: string }>('SELECT count(*) AS c FROM likes');
    const missing = SIZE.likes - Number(rows[0]!.c);
    if (missing <= 0) break;
    await step(
      `likes (round ${round})`,
      `INSERT INTO likes (user_id, generation_id, created_at)
       SELECT md5('u' || u)::uuid, md5('g' || g)::uuid, now()
       FROM (SELECT 1 + floor(random() * $1)::int AS u, 1 + floor($2 * random() ^ 2)::int AS g FROM generate_series(1, $3::int)) x
       WHERE g % 5 <> 0 AND g % 97 <> 0 ON CONFLICT DO NOTHING`,
      [SIZE.users, SIZE.generations, Math.ceil(missing * 1.4)],
    );
  }
  await step(
    'generations.like_count',
    `UPDATE generations g SET like_count = x.c FROM (SELECT generation_id, count(*) AS c FROM likes GROUP BY 1) x WHERE x.generation_id = g.id`,
  );
  await step(
    'styles.usage_count',
    `UPDATE styles s SET usage_count = x.c FROM (SELECT style_id, count(*) AS c FROM generations WHERE status = 'completed' GROUP BY 1) x WHERE x.style_id = s.id`,
  );
  await step(
    'tags.usage_count',
    `UPDATE tags t SET usage_count = x.c FROM (
       SELECT tag_id, count(*) AS c FROM (SELECT tag_id FROM style_tags UNION ALL SELECT tag_id FROM generation_tags) l GROUP BY 1
     ) x WHERE x.tag_id = t.id`,
  );
  await step('vacuum analyze', 'VACUUM ANALYZE');
}
