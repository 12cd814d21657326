import { readFile } from 'node:fs/promises';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, findSchemaDrift, SCHEMA_PATH, type TestDatabase } from '../src/testing';

describe('schema drift', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => {
    await database.drop();
  });

  it('finds no difference between prisma/schema.prisma and the migrated database', async () => {
    expect(await findSchemaDrift(database.url)).toEqual([]);
  });

  it('reports a field added only to schema.prisma', async () => {
    const schema = await readFile(SCHEMA_PATH, 'utf8');
    const edited = schema.replace(
      '  bio            String',
      '  nickname       String? @db.VarChar(40)\n  bio            String',
    );
    expect(edited).not.toBe(schema);
    expect(await findSchemaDrift(database.url, edited)).toEqual([
      'users.nickname: in schema, missing in database',
    ]);
  });

  it('reports a column, a unique constraint and a changed delete rule added only to the database', async () => {
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    try {
      await client.query('ALTER TABLE styles ADD COLUMN nsfw BOOLEAN');
      await client.query('CREATE UNIQUE INDEX artists_artist_name_key ON artists(artist_name)');
      await client.query('ALTER TABLE generations DROP CONSTRAINT generations_style_id_fkey');
      await client.query(
        'ALTER TABLE generations ADD CONSTRAINT generations_style_id_fkey FOREIGN KEY (style_id) REFERENCES styles(id) ON DELETE CASCADE',
      );
      const drift = await findSchemaDrift(database.url);
      expect(drift.sort()).toEqual([
        'artists: unique (artist_name) in database, not in schema',
        'generations: foreign key (style_id) → styles(id) on delete Cascade in database, not in schema',
        'generations: foreign key (style_id) → styles(id) on delete Restrict missing in database',
        'styles.nsfw: in database, missing in schema',
      ]);
    } finally {
      await client.end();
    }
  });
});
