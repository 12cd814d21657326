import { execFile } from 'node:child_process';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createTestDatabase, type TestDatabase } from '@stylelicense/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { grantAdmin } from '../src/identity/roles';
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
    // The audit log holds the grant: no moderator (the command line), the operator in the details.
    const audited = await database.db.moderationAction.findMany({ where: { targetId: user.id } });
    expect(audited).toEqual([
      expect.objectContaining({
        kind: 'grant_admin',
        targetType: 'user',
        moderatorId: null,
        details: expect.objectContaining({
          username: user.username,
          previousRole: 'user',
          via: 'admin:grant',
          operator: expect.objectContaining({ host: hostname() }),
        }),
      }),
    ]);
    expect((await grant(user.username)).output).toContain('is already an admin');
    // A repeated grant changes nothing, so it adds no entry.
    expect(await database.db.moderationAction.count({ where: { targetId: user.id } })).toBe(1);
    expect(await grant('nobody_here')).toEqual({ code: 1, output: 'No user named "nobody_here".\n' });
  }, 180_000);
});

describe('grantAdmin', () => {
  it('writes the role and its audit entry in one transaction: when the entry cannot be written, the role stays', async () => {
    const user = await addUser(database.db);
    // For this test only, the audit log refuses grant entries.
    await database.db.$executeRawUnsafe(
      `ALTER TABLE moderation_actions ADD CONSTRAINT test_no_grants CHECK (kind <> 'grant_admin') NOT VALID`,
    );
    try {
      await expect(grantAdmin(database.db, user.username, { account: 'test', host: 'test' })).rejects.toThrow(
        /test_no_grants/,
      );
    } finally {
      await database.db.$executeRawUnsafe(`ALTER TABLE moderation_actions DROP CONSTRAINT test_no_grants`);
    }
    expect((await database.db.user.findUniqueOrThrow({ where: { id: user.id } })).role).toBe('user');
    expect(await database.db.moderationAction.count({ where: { targetId: user.id } })).toBe(0);
  });
});
