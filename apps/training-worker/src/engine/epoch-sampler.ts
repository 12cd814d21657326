// One picture per epoch: the adapter as it stands, drawn with the same prompt and seed each time,
// so the artist watches the style arrive (and sees over-training before it is paid for).
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DiffusionEngine, silentLogger, type ExecutionProviderConfig } from '@stylelicense/diffusion';
import { writeKohyaLora, type TrainedLayer } from '@stylelicense/trainer';
import sharp from 'sharp';
import type { EpochSample } from './types';

export interface EpochSamplerOptions {
  readonly modelDir: string;
  /** Where the epoch's adapter is written for the drawing (removed afterwards). */
  readonly scratchDir: string;
  readonly rank: number;
  readonly alpha: number;
  /** Pixels of each side; rounded to a multiple of 64. */
  readonly size: number;
  readonly prompt: string;
  readonly seed: number;
  readonly steps: number;
  readonly guidanceScale: number;
  readonly provider: ExecutionProviderConfig;
  readonly signal: AbortSignal;
  /** Epochs in the run; at most MAX_SAMPLES are drawn, evenly spaced, the last epoch always. */
  readonly totalEpochs: number;
  readonly deliver: (sample: EpochSample) => Promise<void>;
  /** Told why a sample was not drawn or not delivered; training goes on without it. */
  readonly onError: (epoch: number, error: unknown) => Promise<void>;
}

export interface EpochSampler {
  draw(epoch: number, layers: TrainedLayer[]): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_SAMPLE_SETTINGS = { steps: 20, guidanceScale: 7 } as const;
/** A long run on few artworks has hundreds of short epochs; the artist needs a handful of pictures. */
export const MAX_SAMPLES = 10;

export function createEpochSampler(options: EpochSamplerOptions): EpochSampler {
  let engine: DiffusionEngine | undefined;
  const size = Math.max(64, Math.round(options.size / 64) * 64);
  // The seed a sample reports must fit the generation contract (32 bits).
  const seed = options.seed % 2 ** 32;
  const every = Math.max(1, Math.ceil(options.totalEpochs / MAX_SAMPLES));
  return {
    async draw(epoch, layers) {
      if (epoch % every !== 0 && epoch !== options.totalEpochs) return;
      const path = join(options.scratchDir, `sample-epoch-${epoch}.safetensors`);
      try {
        await writeKohyaLora(path, layers, options.rank, options.alpha, {});
        engine ??= new DiffusionEngine({
          logger: silentLogger,
          provider: options.provider,
          lora: { mode: 'runtime', maxRank: Math.max(64, options.rank) },
          batch: { windowMs: 0 },
        });
        const drawn = await engine.generate(
          {
            modelDir: options.modelDir,
            prompt: options.prompt,
            width: size,
            height: size,
            steps: options.steps,
            guidanceScale: options.guidanceScale,
            seed,
            lora: { path, strength: 1 },
          },
          { signal: options.signal },
        );
        const image = await sharp(Buffer.from(drawn.pixels), {
          raw: { width: drawn.width, height: drawn.height, channels: 3 },
        })
          .png()
          .toBuffer();
        await options.deliver({ epoch, image, prompt: options.prompt, seed });
      } catch (error) {
        // A cancelled or timed-out job stops at the trainer's next step; anything else costs only the picture.
        if (!options.signal.aborted) await options.onError(epoch, error);
      } finally {
        await rm(path, { force: true });
      }
    },
    async close() {
      await engine?.close();
    },
  };
}
