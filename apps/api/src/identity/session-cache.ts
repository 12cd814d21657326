import { timingSafeEqual } from 'node:crypto';
import type { Role } from '@stylelicense/db';
import { hashSecret, type SessionPolicy } from './sessions';

/** A session as checked against the database, kept in memory. */
interface Entry {
  userId: string;
  role: Role;
  secretHash: Uint8Array;
  expiresAt: number;
  /** When it was read from the database: an entry is used for `ttlMs` at most. */
  readAt: number;
}

/** A session the cache vouches for. */
export interface CachedViewer {
  userId: string;
  role: Role;
  sessionId: string;
}

/**
 * Sessions checked against the database recently, so a member's catalogue, feed and search page
 * does not spend a round trip on the session before the one it spends on their likes and follows.
 *
 * It is only as good as what tells it about changes: it serves entries only while `resume()`d,
 * which the listener of the database's `session_changes` notifications does once it listens (a
 * trigger sends one whenever a session is updated or deleted, or a user's role or active flag
 * changes, whoever changes it), and `suspend()` empties it when that connection is lost. An entry
 * also lapses after `ttlMs`, and is never used for a session that is due for renewal or has expired:
 * those go to the database, which renews or ends them as always.
 *
 * A database read racing a change is not remembered: `remember` takes the `mark()` taken before the
 * read and refuses if anything was forgotten since (the change's notification may have come first).
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private version = 0;
  private live = false;

  constructor(
    private readonly policy: SessionPolicy,
    private readonly ttlMs: number,
    private readonly maxEntries = 50_000,
  ) {}

  /** The session `token` names when it is cached, valid and not due for renewal; else undefined. */
  lookup(token: string, now = Date.now()): CachedViewer | undefined {
    if (!this.live) return undefined;
    const dot = token.indexOf('.');
    const sessionId = token.slice(0, dot);
    const entry = dot > 0 ? this.entries.get(sessionId) : undefined;
    if (!entry) return undefined;
    if (entry.readAt + this.ttlMs <= now || entry.expiresAt - now < this.policy.ttlMs / 2) {
      this.entries.delete(sessionId);
      return undefined;
    }
    const presented = hashSecret(token.slice(dot + 1));
    if (presented.length !== entry.secretHash.length || !timingSafeEqual(presented, entry.secretHash))
      return undefined;
    return { userId: entry.userId, role: entry.role, sessionId };
  }

  /** Taken before reading a session from the database, handed to `remember` after. */
  mark(): number {
    return this.version;
  }

  /** Keeps a session the database just found valid, unless a change was heard since `mark`. */
  remember(
    mark: number,
    token: string,
    session: { userId: string; role: Role; sessionId: string; expiresAt: Date },
    now = Date.now(),
  ): void {
    if (!this.live || this.ttlMs <= 0 || mark !== this.version) return;
    const secret = token.slice(token.indexOf('.') + 1);
    this.entries.delete(session.sessionId);
    this.entries.set(session.sessionId, {
      userId: session.userId,
      role: session.role,
      secretHash: hashSecret(secret),
      expiresAt: session.expiresAt.getTime(),
      readAt: now,
    });
    // Oldest first (Map keeps insertion order).
    while (this.entries.size > this.maxEntries) this.entries.delete(this.entries.keys().next().value!);
  }

  /** A session changed or ended. */
  forget(sessionId: string): void {
    this.version++;
    this.entries.delete(sessionId);
  }

  /** A user's role or active flag changed: every session of theirs is read again. */
  forgetUser(userId: string): void {
    this.version++;
    for (const [id, entry] of this.entries) if (entry.userId === userId) this.entries.delete(id);
  }

  /** Changes can be heard again: start empty (none heard meanwhile is missed). */
  resume(): void {
    this.version++;
    this.entries.clear();
    this.live = true;
  }

  /** Changes can no longer be heard: forget everything and vouch for nothing until `resume`. */
  suspend(): void {
    this.version++;
    this.entries.clear();
    this.live = false;
  }
}
