import { DomainError } from '@stylelicense/contracts';
import { withTransaction, type Database, type Role } from '@stylelicense/db';
import { recordAction } from '../moderation/audit';

/** Who ran a command-line grant, as the audit entry records it. */
export interface CommandLineOperator {
  /** The operating-system account that ran the command. */
  account: string;
  host: string;
}

/**
 * Makes an existing user an admin (how the first admin comes to be: `pnpm --filter
 * @stylelicense/api admin:grant <username>`, in any case). The role change and its audit entry (no
 * moderator: the command line; the operator in the details) are one transaction. Idempotent: an
 * admin already stays as is and nothing is written; NOT_FOUND for an unknown username.
 */
export async function grantAdmin(
  db: Database,
  username: string,
  operator: CommandLineOperator,
): Promise<{ userId: string; previousRole: Role }> {
  return withTransaction(db, async (tx) => {
    // Usernames are unique whatever their case (users_username_lower_key), so the case typed is not needed.
    const [user] = await tx.$queryRaw<Array<{ id: string; role: Role }>>`
      SELECT id::text, role::text AS role FROM users WHERE lower(username) = lower(${username}) FOR UPDATE`;
    if (!user) throw new DomainError('NOT_FOUND', `No user named "${username}".`, { username });
    if (user.role === 'admin') return { userId: user.id, previousRole: user.role };
    await tx.user.update({ where: { id: user.id }, data: { role: 'admin' } });
    await recordAction(tx, null, {
      kind: 'grant_admin',
      targetType: 'user',
      targetId: user.id,
      reportId: null,
      note: 'granted with admin:grant',
      details: { username, previousRole: user.role, via: 'admin:grant', operator: { ...operator } },
    });
    return { userId: user.id, previousRole: user.role };
  });
}
