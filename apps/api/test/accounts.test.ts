import { createTestDatabase, type TestDatabase } from '@stylelicense/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  signInWithProfile,
  USERNAME_PATTERN,
  usernameBase,
  type ExternalProfile,
} from '../src/identity/accounts';
import { reconcile } from '../src/tokens/ledger';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase({ poolSize: 12 });
});
afterAll(() => database.drop());

const profile = (subject: string, email: string | null, name: string | null = null): ExternalProfile => ({
  provider: 'google',
  subject,
  email,
  emailVerified: true,
  name,
  picture: null,
});

describe('usernames from profiles', () => {
  it.each([
    [{ email: 'mina.park@gmail.com', name: 'Mina' }, 'mina.park'],
    [{ email: null, name: 'José Álvarez' }, 'Jose_Alvarez'],
    [{ email: '.dots.@x.io', name: null }, 'dots'],
    [{ email: 'ab@x.io', name: null }, 'userab'],
    [{ email: '김민아@example.kr', name: '김민아' }, 'user'],
    [{ email: `${'x'.repeat(80)}@x.io`, name: null }, 'x'.repeat(40)],
  ])('%o → %s', (input, expected) => {
    const base = usernameBase(input);
    expect(base).toBe(expected);
    expect(base).toMatch(USERNAME_PATTERN);
  });
});

describe('first sign-in', () => {
  it('creates one user, one account and one bonus when the same person signs in five times at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 5 }, () =>
        signInWithProfile(database.db, profile('sub-race', 'racer@example.com')),
      ),
    );
    expect(new Set(results.map((r) => r.user.id)).size).toBe(1);
    expect(results.filter((r) => r.created)).toHaveLength(1);
    expect(await database.db.oAuthAccount.count({ where: { providerUserId: 'sub-race' } })).toBe(1);
    expect(
      await database.db.transaction.count({ where: { receiverId: results[0]!.user.id, type: 'bonus' } }),
    ).toBe(1);
    expect(await reconcile(database.db)).toEqual([]);
  });

  it('gives people who share a name distinct usernames even when they sign up at once', async () => {
    const results = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        signInWithProfile(database.db, profile(`sub-twin-${i}`, 'twin@example.com')),
      ),
    );
    const names = results.map((r) => r.user.username);
    expect(new Set(names).size).toBe(6);
    expect(names).toContain('twin');
    for (const name of names) expect(name).toMatch(USERNAME_PATTERN);
  });

  it('refuses a deactivated account', async () => {
    const { user } = await signInWithProfile(database.db, profile('sub-gone', 'gone@example.com'));
    await database.db.user.update({ where: { id: user.id }, data: { isActive: false } });
    await expect(
      signInWithProfile(database.db, profile('sub-gone', 'gone@example.com')),
    ).rejects.toMatchObject({ code: 'FORBIDDEN' });
  });
});
