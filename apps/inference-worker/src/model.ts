import { ensureTinyModel, openModelFolder } from '@stylelicense/diffusion';
import type { InferenceWorkerConfig, WorkerLog } from './config';

/**
 * The model folder jobs run on: the configured Optimum export (checked now, so a wrong path fails
 * at start-up rather than on every job), or the synthetic `tiny` model under DATA_DIR/models/tiny,
 * written on first start (a second, seconds long; no download).
 */
export async function resolveModelDir(
  config: Pick<InferenceWorkerConfig, 'modelDir' | 'dataDir'>,
  log: WorkerLog,
): Promise<string> {
  if (config.modelDir) {
    await openModelFolder(config.modelDir);
    return config.modelDir;
  }
  const { dir, built } = ensureTinyModel(config.dataDir);
  if (built) log.info({ dir }, 'built the synthetic tiny model (no MODEL_DIR configured)');
  await openModelFolder(dir);
  return dir;
}
