import type { Readable } from 'node:stream';
import type { StorageHealth } from './types';

export async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream)
    chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks);
}

/** Runs a probe and reports its latency; failures become `{ ok: false }` with the mapped error's message. */
export async function timed(
  probe: () => Promise<unknown>,
  map: (error: unknown) => Error,
): Promise<StorageHealth> {
  const started = performance.now();
  try {
    await probe();
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (error) {
    return {
      ok: false,
      latencyMs: Math.round((performance.now() - started) * 100) / 100,
      error: map(error).message,
    };
  }
}
