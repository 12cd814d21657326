import { randomInt } from 'node:crypto';
import { DomainError } from '@stylelicense/contracts';
import { Prisma, withTransaction, type AuthProvider, type Database, type User } from '@stylelicense/db';
import { creditWelcomeBonus } from '../tokens/ledger';

/** What an identity provider tells us about a person. */
export interface ExternalProfile {
  provider: AuthProvider;
  /** The provider's stable id (Google's `sub`). */
  subject: string;
  email: string | null;
  emailVerified: boolean;
  name: string | null;
  picture: string | null;
}

export const USERNAME_PATTERN = /^[A-Za-z0-9_.]{3,50}$/;

/** A username that fits `users_username_check`, from the e-mail's local part or the display name. */
export function usernameBase(profile: Pick<ExternalProfile, 'email' | 'name'>): string {
  const source = profile.email?.split('@')[0] || profile.name || 'user';
  const cleaned = source
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/\s+/g, '_')
    .replace(/[^A-Za-z0-9_.]/g, '')
    .replace(/^\.+|\.+$/g, '')
    .slice(0, 40);
  return cleaned.length >= 3 ? cleaned : `user${cleaned}`.padEnd(4, '0');
}

const isUniqueViolation = (error: unknown, field: string) =>
  error instanceof Prisma.PrismaClientKnownRequestError &&
  error.code === 'P2002' &&
  JSON.stringify(error.meta ?? {}).includes(field);

/**
 * Signs a person in by (provider, subject): the returning user as they are, or — on first sign-in —
 * a new user with a unique username, their oauth account and the welcome bonus, in one transaction.
 */
export async function signInWithProfile(
  db: Database,
  profile: ExternalProfile,
): Promise<{ user: User; created: boolean }> {
  const base = usernameBase(profile);
  for (let attempt = 0; attempt < 8; attempt++) {
    const existing = await db.oAuthAccount.findUnique({
      where: { provider_providerUserId: { provider: profile.provider, providerUserId: profile.subject } },
      include: { user: true },
    });
    if (existing) {
      if (!existing.user.isActive) throw new DomainError('FORBIDDEN', 'This account has been deactivated.');
      await db.oAuthAccount.update({
        where: { id: existing.id },
        data: {
          lastSignInAt: new Date(),
          email: profile.email ?? existing.email,
          emailVerified: profile.emailVerified,
        },
      });
      return { user: existing.user, created: false };
    }
    // Users made before their oauth account existed (the demo seed): link them.
    const legacy = await db.user.findUnique({
      where: { provider_providerUserId: { provider: profile.provider, providerUserId: profile.subject } },
    });
    if (legacy) {
      await db.oAuthAccount.upsert({
        where: { provider_providerUserId: { provider: profile.provider, providerUserId: profile.subject } },
        create: {
          userId: legacy.id,
          provider: profile.provider,
          providerUserId: profile.subject,
          email: profile.email,
          emailVerified: profile.emailVerified,
        },
        update: {},
      });
      continue;
    }
    const username = attempt === 0 ? base : `${base.slice(0, 40)}_${randomInt(1000, 1_000_000)}`;
    try {
      const user = await withTransaction(db, async (tx) => {
        const created = await tx.user.create({
          data: {
            username,
            email: profile.email,
            provider: profile.provider,
            providerUserId: profile.subject,
            profileImage: profile.picture,
          },
        });
        await tx.oAuthAccount.create({
          data: {
            userId: created.id,
            provider: profile.provider,
            providerUserId: profile.subject,
            email: profile.email,
            emailVerified: profile.emailVerified,
          },
        });
        await creditWelcomeBonus(tx, { userId: created.id });
        return tx.user.findUniqueOrThrow({ where: { id: created.id } });
      });
      return { user, created: true };
    } catch (error) {
      // A taken username: try another. The same person signing in twice at once: the loop finds them.
      if (isUniqueViolation(error, 'username') || isUniqueViolation(error, 'provider')) continue;
      throw error;
    }
  }
  throw new DomainError('CONFLICT', 'Could not find a free username; try again.');
}

/** Development sign-in: the named demo user, created (with bonus and a verified dev e-mail) if new. */
export async function devSignIn(db: Database, { username }: { username: string }) {
  return signInWithProfile(db, {
    provider: 'dev',
    subject: username,
    email: `${username}@dev.stylelicense.local`,
    emailVerified: true,
    name: username,
    picture: null,
  });
}
