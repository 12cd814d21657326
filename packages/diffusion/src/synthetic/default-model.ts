import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildSyntheticModel } from './build';

/**
 * The synthetic `tiny` model under `<dataDir>/models/tiny`, written on first use (seconds, no
 * download). A folder from before the VAE encoder was part of the build is rebuilt in place: the
 * same seed gives byte-identical files for the parts it already had. Returns the folder and
 * whether it was (re)built now.
 */
export function ensureTinyModel(dataDir: string): { dir: string; built: boolean } {
  const dir = join(dataDir, 'models', 'tiny');
  const complete = () =>
    existsSync(join(dir, 'model_index.json')) && existsSync(join(dir, 'vae_encoder', 'model.onnx'));
  if (complete()) return { dir, built: false };
  try {
    buildSyntheticModel({ preset: 'tiny', dir, overwrite: true });
  } catch (error) {
    // Another process built it at the same moment: its atomic rename won.
    if (!complete()) throw error;
  }
  return { dir, built: true };
}
