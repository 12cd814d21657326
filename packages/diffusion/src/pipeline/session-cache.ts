import type { RuntimeLoraLayout } from '../lora-runtime';
import type { DiffusionLogger } from './execution-provider';
import type { InferenceSession } from './ort';

export interface CachedSession {
  session: InferenceSession;
  bytes: number;
  /** The runtime LoRA inputs the session's model was given, if any. */
  lora?: RuntimeLoraLayout;
}

export interface SessionLease {
  session: InferenceSession;
  lora?: RuntimeLoraLayout;
  release(): void;
}

interface Entry extends CachedSession {
  key: string;
  leases: number;
  lastUsed: number;
}

/**
 * ONNX Runtime sessions by key (provider + component + model folder, and the style when merging), least recently used first
 * out once their estimated memory passes the budget. Sessions in use are never released; the
 * cache may then sit over budget until they are returned.
 */
export class SessionCache {
  private readonly entries = new Map<string, Entry>();
  private readonly pending = new Map<string, Promise<Entry>>();
  private clock = 0;
  /** Leases served from a held session, and leases that had to wait for one to be made. */
  readonly counts = { hits: 0, misses: 0 };

  constructor(
    readonly budgetBytes: number,
    private readonly logger: DiffusionLogger,
  ) {}

  get totalBytes(): number {
    let sum = 0;
    for (const entry of this.entries.values()) sum += entry.bytes;
    return sum;
  }

  get keys(): string[] {
    return [...this.entries.keys()];
  }

  /** The cached session for `key`, or one made by `create` (concurrent callers share one creation). */
  async acquire(key: string, create: () => Promise<CachedSession>): Promise<SessionLease> {
    let entry = this.entries.get(key);
    this.counts[entry ? 'hits' : 'misses']++;
    if (!entry) {
      let creating = this.pending.get(key);
      if (!creating) {
        creating = (async () => {
          const made = await create();
          const created: Entry = { ...made, key, leases: 0, lastUsed: 0 };
          this.entries.set(key, created);
          return created;
        })();
        this.pending.set(key, creating);
        creating.then(
          () => this.pending.delete(key),
          () => this.pending.delete(key),
        );
      }
      entry = await creating;
    }
    entry.leases++;
    entry.lastUsed = ++this.clock;
    await this.evict();
    const leased = entry;
    let released = false;
    return {
      session: leased.session,
      ...(leased.lora ? { lora: leased.lora } : {}),
      release: () => {
        if (released) return;
        released = true;
        leased.leases--;
        void this.evict();
      },
    };
  }

  private async evict(): Promise<void> {
    while (this.totalBytes > this.budgetBytes) {
      let victim: Entry | undefined;
      for (const entry of this.entries.values()) {
        if (entry.leases === 0 && (!victim || entry.lastUsed < victim.lastUsed)) victim = entry;
      }
      if (!victim) return;
      this.entries.delete(victim.key);
      this.logger.info('released cached session', { key: victim.key, bytes: victim.bytes });
      await victim.session.release();
    }
  }

  /** Releases every session (in use or not): call once nothing runs any more. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.pending.values()]);
    const all = [...this.entries.values()];
    this.entries.clear();
    await Promise.all(all.map((entry) => entry.session.release()));
  }
}
