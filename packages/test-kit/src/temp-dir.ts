import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempDir {
  path: string;
  /** Deletes the folder and everything in it; safe to call twice. */
  remove: () => Promise<void>;
}

/** A fresh folder under the OS temp dir, named `sl-<label>-XXXXXX` so strays are easy to spot. */
export async function makeTempDir(label: string): Promise<TempDir> {
  const path = await mkdtemp(join(tmpdir(), `sl-${label}-`));
  return { path, remove: () => rm(path, { recursive: true, force: true }) };
}
