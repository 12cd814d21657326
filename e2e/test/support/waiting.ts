import { describeApps, type AppProcess } from './processes';

/** Thrown by a check when waiting longer cannot help (a job failed for good): waitFor fails at once. */
export class FinalState extends Error {}

/**
 * Polls `check` until it returns something other than undefined. Fails with `what` when the time is
 * up or as soon as one of `apps` has exited, quoting `lastSeen()` (what the user would see now)
 * and every process's last output, so a broken piece reads as a message, not a hang.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  options: { apps: readonly AppProcess[]; timeoutMs: number; intervalMs?: number; lastSeen?: () => unknown },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let lastError: unknown = null;
  for (;;) {
    const dead = options.apps.find((app) => app.exit !== null);
    if (dead)
      throw failure(`${dead.name} exited (${dead.exit}) while waiting for ${what}`, options, lastError);
    try {
      const value = await check();
      if (value !== undefined) return value;
      lastError = null;
    } catch (error) {
      if (error instanceof FinalState) throw failure(error.message, options, null);
      lastError = error;
    }
    if (Date.now() > deadline)
      throw failure(`timed out after ${options.timeoutMs / 1000} s waiting for ${what}`, options, lastError);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 250));
  }
}

function failure(
  headline: string,
  options: { apps: readonly AppProcess[]; lastSeen?: () => unknown },
  lastError: unknown,
): Error {
  const seen = options.lastSeen ? `\nlast seen: ${safeJson(options.lastSeen())}` : '';
  const error = lastError
    ? `\nlast error: ${lastError instanceof Error ? lastError.message : safeJson(lastError)}`
    : '';
  return new Error(`${headline}${seen}${error}\n${describeApps(options.apps)}`);
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
  } catch {
    return String(value);
  }
}
