import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@stylelicense/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addUser } from './marketplace';

let database: TestDatabase;
const script = fileURLToPath(new URL('../scripts/admin-grant.ts', import.meta.url));
const tsx = fileURLToPath(new URL('../node_modules/.bin/tsx', import.meta.url));

/** The documented command, as an operator runs it against the production database. */
const grant = (username: string) =>
  promisify(execFile)(tsx, [script, username], {
    env: { ...process.env, DATABASE_URL: database.url, LOG_LEVEL: 'silent' },
  }).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code: number; stderr: string }) => ({ code: error.code, output: error.stderr }),
  );

beforeAll(async () => {
  database = await createTestDatabase();
});
afterAll(async () => {
  await database.drop();
});

describe('admin:grant', () => {
  it('makes an existing user the first admin, once, and names an unknown username', async () => {
    const user = await addUser(database.db);
    expect(await grant(user.username)).toEqual({
      code: 0,
      output: `${user.username} (${user.id}) is now an admin (was user)\n`,
    });
    expect((await database.db.user.findUniqueOrThrow({ where: { id: user.id } })).role).toBe('admin');
    expect((await grant(user.username)).output).toContain('is already an admin');
    expect(await grant('nobody_here')).toEqual({ code: 1, output: 'No user named "nobody_here".\n' });
  }, 180_000);
});
