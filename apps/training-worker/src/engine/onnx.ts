// The in-process engine: trains the LoRA on ONNX Runtime through @stylelicense/trainer (backward
// graphs derived from the UNet's own ONNX graph), on the same native binding and model folder
// inference uses. No Python, no second model format.
import { appendFile, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { JobFailure } from '@stylelicense/contracts';
import { openModelFolder, type ExecutionProviderConfig } from '@stylelicense/diffusion';
import {
  encodeArtworks,
  TrainingCancelledError,
  TrainingOutOfMemoryError,
  trainLora,
  writeKohyaLora,
  type Artwork,
} from '@stylelicense/trainer';
import sharp from 'sharp';
import { validateLoraArtifact } from '../artifact/validate-lora';
import { createEpochSampler, DEFAULT_SAMPLE_SETTINGS, type EpochSampler } from './epoch-sampler';
import { scheduleForImageCount } from './schedule';
import type {
  LoraNetworkSpec,
  TrainerEngine,
  TrainingJob,
  TrainingPlan,
  TrainingResult,
  TrainOptions,
} from './types';

export interface OnnxEngineOptions {
  /** The base model folder (Optimum ONNX layout with vae_encoder), resolved when the engine is first used. */
  readonly modelDir: () => Promise<string>;
  /** Pixels of the short side of a 512-px bucket at training time (the prepared images are scaled by resolution/512). */
  readonly resolution: number;
  /** Caps the schedule's steps (the tiny model learns its look in a few hundred). */
  readonly maxSteps?: number;
  readonly network?: Partial<LoraNetworkSpec>;
  readonly timeLimitMs: number;
  /** Denoising steps of each epoch's sample image (guidance 7); 0 draws none. Default 20. */
  readonly sampleSteps?: number;
  /** Where encoding, training and the samples run; default the CPU. */
  readonly provider?: ExecutionProviderConfig;
}

export const ONNX_LORA_NETWORK: LoraNetworkSpec = {
  rank: 4,
  alpha: 4,
  learningRate: 1e-2,
  trainTextEncoder: false,
};

interface OnnxPlan extends TrainingPlan {
  readonly modelDir: string;
  readonly resolution: number;
}

export function createOnnxEngine(options: OnnxEngineOptions): TrainerEngine {
  const network: LoraNetworkSpec = { ...ONNX_LORA_NETWORK, ...options.network };

  async function checkReady(): Promise<void> {
    const dir = await options.modelDir();
    await openModelFolder(dir).catch((error: unknown) => {
      throw new JobFailure('MODEL_NOT_FOUND', `base model not usable: ${String(error)}`);
    });
    await readFile(join(dir, 'vae_encoder', 'model.onnx')).catch(() => {
      throw new JobFailure(
        'MODEL_NOT_FOUND',
        `the base model at ${dir} has no vae_encoder/model.onnx (training needs it)`,
      );
    });
  }

  async function prepare(job: TrainingJob): Promise<OnnxPlan> {
    const base = scheduleForImageCount(job.dataset.imageCount, job.dataset.numRepeats);
    const wanted = job.options ?? {};
    const maxTrainSteps =
      wanted.maxSteps ?? Math.min(base.maxTrainSteps, options.maxSteps ?? base.maxTrainSteps);
    const schedule = { ...base, maxTrainSteps, epochs: Math.ceil(maxTrainSteps / job.dataset.imageCount) };
    const outputDir = join(job.workDir, 'output');
    await mkdir(outputDir, { recursive: true });
    return {
      engine: 'onnx',
      job,
      schedule,
      network: {
        ...network,
        rank: wanted.rank ?? network.rank,
        alpha: wanted.rank ?? network.alpha,
        learningRate: wanted.learningRate ?? network.learningRate,
      },
      artifactPath: join(outputDir, `lora-${job.styleId.replace(/[^A-Za-z0-9_-]+/g, '_')}.safetensors`),
      logPath: join(job.workDir, 'trainer.log'),
      modelDir: await options.modelDir(),
      resolution: wanted.resolution ?? options.resolution,
    };
  }

  async function train(trainingPlan: TrainingPlan, trainOptions: TrainOptions = {}): Promise<TrainingResult> {
    if (trainingPlan.engine !== 'onnx')
      throw new Error(`plan was made by engine "${trainingPlan.engine}", not "onnx"`);
    const plan = trainingPlan as OnnxPlan;
    const started = Date.now();
    const timeLimitMs = trainOptions.timeLimitMs ?? options.timeLimitMs;
    const timer = AbortSignal.timeout(timeLimitMs);
    const signal = trainOptions.signal ? AbortSignal.any([trainOptions.signal, timer]) : timer;
    const log = (line: string) => appendFile(plan.logPath, `${line}\n`);
    let sampler: EpochSampler | undefined;
    await writeFile(
      plan.logPath,
      `onnx trainer: ${plan.modelDir}, rank ${plan.network.rank}, alpha ${plan.network.alpha}, lr ${plan.network.learningRate}, ${plan.schedule.maxTrainSteps} steps, seed ${plan.job.seed}\n`,
    );
    try {
      const artworks = await loadArtworks(plan.job.dataset.imageDir, plan.resolution / 512);
      const provider = options.provider ?? { provider: 'cpu' };
      const encoded = await encodeArtworks(plan.modelDir, artworks, provider);
      const settings = {
        ...DEFAULT_SAMPLE_SETTINGS,
        steps: options.sampleSteps ?? DEFAULT_SAMPLE_SETTINGS.steps,
      };
      const deliver = trainOptions.onSample;
      const epochSampler =
        deliver && settings.steps > 0 && artworks[0]
          ? createEpochSampler({
              modelDir: plan.modelDir,
              scratchDir: dirname(plan.artifactPath),
              rank: plan.network.rank,
              alpha: plan.network.alpha,
              size: plan.resolution,
              prompt: artworks[0].caption,
              provider,
              seed: plan.job.seed,
              totalEpochs: Math.ceil(plan.schedule.maxTrainSteps / artworks.length),
              ...settings,
              signal,
              deliver,
              onError: (epoch, error) => log(`epoch ${epoch} sample not made: ${String(error)}`),
            })
          : undefined;
      sampler = epochSampler;
      let lastLoss: number | null = null;
      const trained = await trainLora({
        modelDir: plan.modelDir,
        artworks: encoded,
        rank: plan.network.rank,
        alpha: plan.network.alpha,
        learningRate: plan.network.learningRate,
        steps: plan.schedule.maxTrainSteps,
        seed: plan.job.seed,
        provider,
        signal,
        onEpochEnd: epochSampler ? (epoch, layers) => epochSampler.draw(epoch, layers) : undefined,
        onProgress: (p) => {
          lastLoss = p.loss;
          trainOptions.onProgress?.({
            step: p.step,
            totalSteps: p.totalSteps,
            epoch: p.epoch,
            totalEpochs: p.totalEpochs,
            percent: Math.round((1000 * p.step) / p.totalSteps) / 10,
            etaSeconds: Math.round(p.etaSeconds),
            loss: p.loss,
            elapsedSeconds: Math.round((Date.now() - started) / 1000),
          });
        },
      });
      await log(`losses: ${Array.from(trained.losses, (l) => l.toFixed(4)).join(' ')}`);
      if (trained.lossScale)
        await log(
          `fp16: final loss scale ${trained.lossScale.finalScale}, ${trained.lossScale.skippedSteps} step(s) skipped for overflow`,
        );
      await writeKohyaLora(plan.artifactPath, trained.layers, trained.rank, trained.alpha, {
        ss_network_module: 'networks.lora',
        ss_network_dim: String(trained.rank),
        ss_network_alpha: String(trained.alpha),
        ss_learning_rate: String(plan.network.learningRate),
        ss_max_train_steps: String(plan.schedule.maxTrainSteps),
        ss_num_epochs: String(trained.epochs),
        ss_seed: String(plan.job.seed),
        ss_resolution: `(${plan.resolution}, ${plan.resolution})`,
        ss_num_train_images: String(artworks.length),
        // kohya's key: the forward/backward precision (master weights are always fp32).
        ss_mixed_precision: trained.precision === 'fp16' ? 'fp16' : 'no',
        stylelicense_trainer: 'onnx',
        stylelicense_base_model: plan.modelDir,
      });
      const artifact = await validateLoraArtifact(plan.artifactPath, plan.network);
      return {
        artifactPath: plan.artifactPath,
        logPath: plan.logPath,
        metrics: {
          finalLoss: lastLoss,
          steps: plan.schedule.maxTrainSteps,
          totalSteps: plan.schedule.maxTrainSteps,
          epochs: trained.epochs,
          durationSeconds: Math.round((Date.now() - started) / 100) / 10,
          rank: artifact.rank,
          imageCount: artworks.length,
        },
      };
    } catch (error) {
      await log(`failed: ${String(error)}`).catch(() => undefined);
      if (error instanceof JobFailure) throw error;
      if (error instanceof TrainingCancelledError) {
        if (timer.aborted)
          throw new JobFailure(
            'TIMEOUT',
            `training ran past its ${Math.round(timeLimitMs / 1000)} s time limit and was stopped`,
          );
        const reason: unknown = trainOptions.signal?.reason;
        throw reason instanceof JobFailure
          ? reason
          : new JobFailure('CANCELLED', 'training was cancelled', { cause: error });
      }
      if (error instanceof TrainingOutOfMemoryError) throw new JobFailure('GPU_OOM', error.message);
      throw new JobFailure('TRAINER_CRASHED', `the ONNX trainer failed: ${String(error)}`, { cause: error });
    } finally {
      await sampler?.close();
    }
  }

  return {
    name: 'onnx',
    honouredOptions: ['rank', 'learningRate', 'maxSteps', 'resolution'],
    checkReady,
    prepare,
    train,
  };
}

/** The prepared PNG + caption pairs, scaled to the training resolution, as VAE input planes in [−1, 1]. */
async function loadArtworks(imageDir: string, scale: number): Promise<Artwork[]> {
  const names = (await readdir(imageDir)).filter((n) => n.endsWith('.png')).sort();
  return Promise.all(
    names.map(async (name) => {
      const path = join(imageDir, name);
      const meta = await sharp(path).metadata();
      // Latents are 1/8 of the pixels and the UNet halves them again: keep sides multiples of 16.
      const width = Math.max(16, Math.round((meta.width * scale) / 16) * 16);
      const height = Math.max(16, Math.round((meta.height * scale) / 16) * 16);
      const { data } = await sharp(path)
        .resize(width, height, { fit: 'fill' })
        .removeAlpha()
        .raw()
        .toBuffer({ resolveWithObject: true });
      const plane = width * height;
      const pixels = new Float32Array(3 * plane);
      for (let i = 0; i < plane; i++)
        for (let c = 0; c < 3; c++) pixels[c * plane + i] = (data[i * 3 + c]! / 255) * 2 - 1;
      const caption = (await readFile(path.replace(/\.png$/, '.txt'), 'utf8')).trim();
      return { pixels, width, height, caption };
    }),
  );
}
