import { DomainError } from '@stylelicense/contracts';
import type { Database, Role } from '@stylelicense/db';

/**
 * Makes an existing user an admin (how the first admin comes to be: `pnpm --filter
 * @stylelicense/api admin:grant <username>`, in any case). Idempotent; NOT_FOUND for an unknown username.
 */
export async function grantAdmin(
  db: Database,
  username: string,
): Promise<{ userId: string; previousRole: Role }> {
  // Usernames are unique whatever their case (users_username_lower_key), so the case typed is not needed.
  const [user] = await db.$queryRaw<Array<{ id: string; role: Role }>>`
    SELECT id::text, role FROM users WHERE lower(username) = lower(${username})`;
  if (!user) throw new DomainError('NOT_FOUND', `No user named "${username}".`, { username });
  if (user.role !== 'admin') await db.user.update({ where: { id: user.id }, data: { role: 'admin' } });
  return { userId: user.id, previousRole: user.role };
}
