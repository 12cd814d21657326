import type { Role } from '@stylelicense/db';

/** Who is acting: a signed-in user (their role decides admin rights); `null` where anonymous callers may act. */
export interface Viewer {
  userId: string;
  role: Role;
}
