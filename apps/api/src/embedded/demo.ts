import type { Database } from '@stylelicense/db';
import type { ProvenanceSigner } from '@stylelicense/imaging';
import type { EmbeddedWorkerContext } from './workers';
import { ensureDemoAssets, type DemoAssetsReport } from './demo-assets';

// The demo styles' LoRA files must fit the model the embedded inference worker runs, which only
// that worker knows (the synthetic tiny model unless MODEL_DIR is set). Apps do not depend on each
// other as packages, so the worker app's maker is loaded from the checkout, like the workers are.
export const DEMO_LORA_MODULE = new URL('../../../inference-worker/src/index.ts', import.meta.url).href;

type EmbeddedDemoLoraMaker = (
  context: Pick<EmbeddedWorkerContext, 'apiUrl' | 'webhookSecrets' | 'dataDir' | 'log'>,
) => Promise<{ modelDir: string; makeLora: (seed: number) => Uint8Array }>;

/**
 * Gives the demo seed's rows their files (see ensureDemoAssets). Without the inference worker app
 * the LoRA files are left missing, with a warning: its jobs could not run here anyway.
 */
export async function prepareEmbeddedDemo(
  context: Pick<EmbeddedWorkerContext, 'apiUrl' | 'webhookSecrets' | 'dataDir' | 'log' | 'storage'> & {
    db: Database;
    provenance: ProvenanceSigner;
  },
  loraModule: string = DEMO_LORA_MODULE,
): Promise<DemoAssetsReport> {
  const started = performance.now();
  let makeLora: ((seed: number) => Uint8Array) | undefined;
  try {
    const loaded = (await import(loraModule)) as { embeddedDemoLoraMaker?: EmbeddedDemoLoraMaker };
    if (typeof loaded.embeddedDemoLoraMaker !== 'function')
      throw new Error('no embeddedDemoLoraMaker export');
    makeLora = (await loaded.embeddedDemoLoraMaker(context)).makeLora;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    context.log.warn(
      { module: loraModule, reason },
      'demo style LoRAs not written; generating with demo styles will fail',
    );
  }
  // Timed as a whole: on a first start this includes building the tiny model the LoRAs fit.
  const report = {
    ...(await ensureDemoAssets({
      db: context.db,
      storage: context.storage,
      makeLora,
      provenance: context.provenance,
    })),
    ms: 0,
  };
  report.ms = Math.round(performance.now() - started);
  const created = Object.values(report.created).reduce((sum, n) => sum + n, 0);
  if (created > 0 || report.skipped.length > 0) context.log.info(report, 'demo assets written');
  else context.log.debug({ present: report.present, ms: report.ms }, 'demo assets all present');
  return report;
}
