/** A dependency the API needs to serve requests: database, broker, storage. */
export interface ReadinessProbe {
  name: string;
  check(): Promise<void | Record<string, unknown>>;
}

export interface ProbeResult {
  status: 'up' | 'down';
  latencyMs: number;
  error?: string;
  [detail: string]: unknown;
}

export interface Readiness {
  status: 'ready' | 'unavailable';
  checks: Record<string, ProbeResult>;
}

const PROBE_TIMEOUT_MS = 2_000;

/** Runs every probe concurrently, each bounded by a timeout, and reports each one's latency. */
export async function checkReadiness(probes: ReadinessProbe[]): Promise<Readiness> {
  const results = await Promise.all(
    probes.map(async (probe): Promise<[string, ProbeResult]> => {
      const started = performance.now();
      let timer: NodeJS.Timeout | undefined;
      try {
        const details = await Promise.race([
          probe.check(),
          new Promise<never>((_, reject) => {
            timer = setTimeout(
              () => reject(new Error(`timed out after ${PROBE_TIMEOUT_MS} ms`)),
              PROBE_TIMEOUT_MS,
            );
          }),
        ]);
        return [probe.name, { status: 'up', latencyMs: elapsed(started), ...(details ?? {}) }];
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        return [probe.name, { status: 'down', latencyMs: elapsed(started), error: message }];
      } finally {
        clearTimeout(timer);
      }
    }),
  );
  const checks = Object.fromEntries(results);
  return { status: results.every(([, r]) => r.status === 'up') ? 'ready' : 'unavailable', checks };
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 100) / 100;
}

export function databaseProbe(query: () => Promise<unknown>): ReadinessProbe {
  return { name: 'database', check: async () => void (await query()) };
}
