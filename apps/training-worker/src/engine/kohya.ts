import { access, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JobFailure } from '@stylelicense/contracts';
import { validateLoraArtifact } from '../artifact/validate-lora';
import { kohyaArguments, kohyaDatasetConfig } from './kohya-command';
import { parseKohyaLine } from './kohya-progress';
import { scheduleForImageCount } from './schedule';
import { runTrainerProcess, type TrainerCommand, type TrainerRun } from './trainer-process';
import type {
  LoraNetworkSpec,
  TrainerEngine,
  TrainingJob,
  TrainingPlan,
  TrainingProgress,
  TrainingResult,
  TrainOptions,
} from './types';

export interface KohyaEngineOptions {
  /** Interpreter that runs sd-scripts (its virtualenv's python). */
  readonly pythonExecutable: string;
  /** The sd-scripts checkout; the trainer runs with it as the working directory. */
  readonly sdScriptsDir: string;
  /** Stable Diffusion checkpoint or diffusers folder the LoRA is trained against. */
  readonly baseModelPath: string;
  /** The trainer's base environment (PATH, HOME, HF caches…). Pass what it needs, not the worker's secrets. */
  readonly environment: Readonly<Record<string, string | undefined>>;
  /** Hard limit per training run (→ TIMEOUT). */
  readonly timeLimitMs: number;
  readonly cudaVisibleDevices?: string;
  /** Default `<sdScriptsDir>/train_network.py`. */
  readonly scriptPath?: string;
  /** Arguments between the interpreter and the script; default none. */
  readonly interpreterArgs?: readonly string[];
  readonly killGraceMs?: number;
  readonly optimizer?: string;
  readonly dataLoaderWorkers?: number;
  readonly network?: Partial<LoraNetworkSpec>;
  /** Engine name in plans and logs; default "kohya". */
  readonly name?: string;
}

export interface KohyaPlan extends TrainingPlan {
  readonly scriptPath: string;
  readonly baseModelPath: string;
  readonly datasetConfigPath: string;
  readonly datasetConfig: string;
  readonly command: TrainerCommand;
}

export interface KohyaEngine extends TrainerEngine {
  prepare(job: TrainingJob): Promise<KohyaPlan>;
}

export const DEFAULT_LORA_NETWORK: LoraNetworkSpec = {
  rank: 8,
  alpha: 8,
  learningRate: 1e-4,
  trainTextEncoder: false,
};

// PyTorch's wording across versions, plus cuBLAS failing to allocate its workspace.
const OUT_OF_MEMORY =
  /CUDA out of memory|OutOfMemoryError|CUBLAS_STATUS_ALLOC_FAILED|CUDA error: out of memory/i;

/** The kohya-ss sd-scripts LoRA trainer (`train_network.py`, networks.lora) run as a child process. */
export function createKohyaEngine(options: KohyaEngineOptions): KohyaEngine {
  const name = options.name ?? 'kohya';
  const network: LoraNetworkSpec = { ...DEFAULT_LORA_NETWORK, ...options.network };

  async function prepare(job: TrainingJob): Promise<KohyaPlan> {
    const schedule = scheduleForImageCount(job.dataset.imageCount, job.dataset.numRepeats);
    const outputDir = join(job.workDir, 'output');
    const outputName = `lora-${job.styleId.replace(/[^A-Za-z0-9_-]+/g, '_')}`;
    const datasetConfigPath = join(job.workDir, 'dataset.toml');
    const datasetConfig = kohyaDatasetConfig(job, schedule);
    await mkdir(outputDir, { recursive: true });
    await writeFile(datasetConfigPath, datasetConfig, 'utf8');
    const env: Record<string, string> = {};
    for (const [key, value] of Object.entries(options.environment)) if (value !== undefined) env[key] = value;
    // Unbuffered so `epoch n/m` lines arrive as they are printed, not when the pipe buffer fills.
    env.PYTHONUNBUFFERED = '1';
    env.CUDA_VISIBLE_DEVICES = options.cudaVisibleDevices ?? '0';
    const scriptPath = options.scriptPath ?? join(options.sdScriptsDir, 'train_network.py');
    const args = kohyaArguments({
      scriptPath,
      baseModelPath: options.baseModelPath,
      datasetConfigPath,
      outputDir,
      outputName,
      schedule,
      network,
      seed: job.seed,
      optimizer: options.optimizer ?? 'AdamW8bit',
      dataLoaderWorkers: options.dataLoaderWorkers ?? 2,
    });
    return {
      engine: name,
      job,
      schedule,
      network,
      artifactPath: join(outputDir, `${outputName}.safetensors`),
      logPath: join(job.workDir, 'trainer.log'),
      scriptPath,
      baseModelPath: options.baseModelPath,
      datasetConfigPath,
      datasetConfig,
      command: {
        executable: options.pythonExecutable,
        args: [...(options.interpreterArgs ?? []), ...args],
        env,
        cwd: options.sdScriptsDir,
      },
    };
  }

  async function train(plan: TrainingPlan, trainOptions: TrainOptions = {}): Promise<TrainingResult> {
    if (plan.engine !== name || !('command' in plan)) {
      throw new Error(`plan was made by engine "${plan.engine}", not "${name}"`);
    }
    const { command, scriptPath, baseModelPath } = plan as KohyaPlan;
    const { signal, onProgress } = trainOptions;
    if (signal?.aborted) throw cancellation(signal.reason);
    await assertInstalled(scriptPath, baseModelPath);
    const tracker = new ProgressTracker(plan, onProgress);
    // Set from the output callback, which TypeScript's narrowing cannot see.
    let outOfMemory = null as string | null;
    const timeLimitMs = trainOptions.timeLimitMs ?? options.timeLimitMs;

    const run: TrainerRun = await runTrainerProcess(command, {
      timeLimitMs,
      killGraceMs: options.killGraceMs ?? 10_000,
      logPath: plan.logPath,
      signal,
      onOutput(lines, pending) {
        for (const line of lines) {
          if (!outOfMemory && OUT_OF_MEMORY.test(line)) outOfMemory = clip(line.trim(), 300);
          tracker.read(line);
        }
        if (pending) tracker.read(pending);
      },
    });

    const { outcome } = run;
    if (outcome.kind === 'timeout') {
      throw new JobFailure(
        'TIMEOUT',
        `the trainer ran past its ${Math.round(timeLimitMs / 1000)} s time limit and was stopped`,
      );
    }
    if (outcome.kind === 'cancelled') throw cancellation(outcome.reason);
    if (outcome.exitCode !== 0) {
      const how = outcome.exitSignal
        ? `was killed by ${outcome.exitSignal}`
        : `exited with code ${outcome.exitCode}`;
      if (outOfMemory) throw new JobFailure('GPU_OOM', `the trainer ran out of GPU memory: ${outOfMemory}`);
      throw new JobFailure('TRAINER_CRASHED', `the trainer ${how}: ${lastLines(run.tail)}`);
    }

    const artifact = await validateLoraArtifact(plan.artifactPath, plan.network);
    const progress = tracker.latest;
    return {
      artifactPath: plan.artifactPath,
      logPath: plan.logPath,
      metrics: {
        finalLoss: progress.loss,
        steps: progress.step,
        totalSteps: progress.totalSteps,
        epochs: progress.epoch,
        durationSeconds: Math.round(run.durationMs / 100) / 10,
        rank: artifact.rank,
        imageCount: plan.job.dataset.imageCount,
      },
    };
  }

  const scriptPath = options.scriptPath ?? join(options.sdScriptsDir, 'train_network.py');
  return { name, checkReady: () => assertInstalled(scriptPath, options.baseModelPath), prepare, train };
}

/** A host without sd-scripts or the base model fails permanently and says so, instead of "crashing" on every retry. */
async function assertInstalled(scriptPath: string, baseModelPath: string): Promise<void> {
  if (!(await exists(scriptPath))) {
    throw new JobFailure(
      'NO_TRAINER_ENGINE',
      `no trainer engine configured on this host: ${scriptPath} is missing`,
    );
  }
  if (!(await exists(baseModelPath)))
    throw new JobFailure('MODEL_NOT_FOUND', `base model not found at ${baseModelPath}`);
}

const exists = (path: string) =>
  access(path).then(
    () => true,
    () => false,
  );

function cancellation(reason: unknown): JobFailure {
  if (reason instanceof JobFailure) return reason;
  return new JobFailure('CANCELLED', 'training was cancelled', { cause: reason });
}

function lastLines(tail: readonly string[]): string {
  const text = tail.slice(-8).join('\n');
  return text ? (text.length > 2000 ? `…${text.slice(-2000)}` : text) : '(no output)';
}

function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}…` : text;
}

/** Folds parsed trainer lines into progress events, one per new step or epoch. */
class ProgressTracker {
  latest: TrainingProgress;
  private readonly started = Date.now();

  constructor(
    plan: TrainingPlan,
    private readonly onProgress?: (progress: TrainingProgress) => void,
  ) {
    this.latest = {
      step: 0,
      totalSteps: plan.schedule.maxTrainSteps,
      epoch: 0,
      totalEpochs: plan.schedule.epochs,
      percent: 0,
      etaSeconds: null,
      loss: null,
      elapsedSeconds: 0,
    };
  }

  read(line: string): void {
    const reading = parseKohyaLine(line);
    if (!reading) return;
    const previous = this.latest;
    const next: TrainingProgress =
      reading.kind === 'epoch'
        ? {
            ...previous,
            epoch: reading.epoch ?? previous.epoch,
            totalEpochs: reading.totalEpochs ?? previous.totalEpochs,
          }
        : {
            ...previous,
            step: reading.step ?? previous.step,
            totalSteps: reading.totalSteps || previous.totalSteps,
            etaSeconds: reading.etaSeconds ?? null,
            loss: reading.loss ?? previous.loss,
          };
    const changed =
      next.step !== previous.step || next.epoch !== previous.epoch || next.totalSteps !== previous.totalSteps;
    const percent = next.totalSteps > 0 ? Math.min(100, (100 * next.step) / next.totalSteps) : 0;
    // Always keep the newest loss and ETA (tqdm redraws the same step after set_postfix); emit on new steps/epochs.
    this.latest = {
      ...next,
      percent: Math.round(percent * 10) / 10,
      elapsedSeconds: Math.round((Date.now() - this.started) / 1000),
    };
    if (!changed) return;
    this.onProgress?.(this.latest);
  }
}
