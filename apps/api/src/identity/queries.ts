import { Prisma } from '@stylelicense/db';

/** One session with what a request needs of its user: every signed-in call reads this first. */
export function sessionQuery(id: string): Prisma.Sql {
  return Prisma.sql`
    SELECT s.user_id::text AS user_id, s.secret_hash, s.expires_at, u.role::text AS role, u.is_active
    FROM sessions s JOIN users u ON u.id = s.user_id
    WHERE s.id = ${id}`;
}
