import { stringify } from 'smol-toml';
import { BASE_RESOLUTION } from '../dataset/buckets';
import type { TrainingSchedule } from './schedule';
import type { LoraNetworkSpec, TrainingJob } from './types';

/**
 * The dataset config sd-scripts reads with `--dataset_config` (DreamBooth-style subset with
 * caption files). Buckets: with bucket_no_upscale, kohya keeps every image whose area fits the
 * resolution's area at its own size (rounded to 64 px). `resolution = [512, 1024]` makes that area
 * 512×1024, so our pre-cropped 512×512, 512×1024 and 1024×512 files all train at exactly their size
 * (a plain 512 would shrink the 1:2 buckets to ~362×724). Captions start with the style name;
 * keep_tokens = 1 keeps it first when captions shuffle.
 */
export function kohyaDatasetConfig(job: TrainingJob, schedule: TrainingSchedule): string {
  return stringify({
    general: {
      caption_extension: '.txt',
      shuffle_caption: true,
      keep_tokens: 1,
    },
    datasets: [
      {
        resolution: [BASE_RESOLUTION, BASE_RESOLUTION * 2],
        batch_size: schedule.batchSize,
        enable_bucket: true,
        min_bucket_reso: 256,
        max_bucket_reso: 1024,
        bucket_reso_steps: 64,
        bucket_no_upscale: true,
        subsets: [
          {
            image_dir: job.dataset.imageDir,
            class_tokens: job.dataset.token,
            num_repeats: schedule.numRepeats,
            caption_extension: '.txt',
          },
        ],
      },
    ],
  });
}

export interface KohyaArgumentsInput {
  readonly scriptPath: string;
  readonly baseModelPath: string;
  readonly datasetConfigPath: string;
  readonly outputDir: string;
  readonly outputName: string;
  readonly schedule: TrainingSchedule;
  readonly network: LoraNetworkSpec;
  readonly seed: number;
  readonly optimizer: string;
  readonly dataLoaderWorkers: number;
}

/** The argument list after the interpreter: `train_network.py` and its flags, one token each. */
export function kohyaArguments(input: KohyaArgumentsInput): string[] {
  const { network } = input;
  return [
    input.scriptPath,
    '--pretrained_model_name_or_path',
    input.baseModelPath,
    '--dataset_config',
    input.datasetConfigPath,
    '--output_dir',
    input.outputDir,
    '--output_name',
    input.outputName,
    '--save_model_as',
    'safetensors',
    '--network_module',
    'networks.lora',
    '--network_dim',
    String(network.rank),
    '--network_alpha',
    String(network.alpha),
    ...(network.trainTextEncoder ? [] : ['--network_train_unet_only']),
    '--learning_rate',
    String(network.learningRate),
    '--optimizer_type',
    input.optimizer,
    '--max_train_steps',
    String(input.schedule.maxTrainSteps),
    '--mixed_precision',
    'fp16',
    '--save_precision',
    'fp16',
    '--seed',
    String(input.seed),
    '--cache_latents',
    '--sdpa',
    '--max_data_loader_n_workers',
    String(input.dataLoaderWorkers),
  ];
}
