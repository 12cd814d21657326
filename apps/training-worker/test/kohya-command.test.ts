import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { parse as parseToml } from 'smol-toml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKohyaEngine, scheduleForImageCount, type TrainingJob } from '../src/index';

describe('kohya engine plan', () => {
  let tempDir: TempDir;
  let workDir: string;
  beforeAll(async () => {
    tempDir = await makeTempDir('kohya-plan');
    workDir = tempDir.path;
  });
  afterAll(async () => {
    await tempDir.remove();
  });

  const engine = createKohyaEngine({
    pythonExecutable: '/opt/sd-scripts/venv/bin/python',
    sdScriptsDir: '/opt/sd-scripts',
    baseModelPath: '/models/stable-diffusion-v1-5',
    environment: { PATH: '/usr/bin:/bin', HOME: '/home/worker', UNSET: undefined },
    cudaVisibleDevices: '0',
    timeLimitMs: 3_600_000,
  });

  const job = (): TrainingJob => ({
    styleId: 'style_123',
    styleName: 'Moonlit Ink',
    dataset: {
      imageDir: '/data/jobs/style_123/dataset/16_moonlit_ink',
      token: 'moonlit_ink',
      numRepeats: 16,
      imageCount: 13,
    },
    workDir,
    seed: 1234,
  });

  it('builds the exact train_network.py command line for a sample job', async () => {
    const plan = await engine.prepare(job());
    expect(plan.command.executable).toBe('/opt/sd-scripts/venv/bin/python');
    expect([plan.scriptPath, plan.baseModelPath]).toEqual([
      '/opt/sd-scripts/train_network.py',
      '/models/stable-diffusion-v1-5',
    ]);
    expect(plan.command.cwd).toBe('/opt/sd-scripts');
    expect(plan.command.args).toEqual([
      '/opt/sd-scripts/train_network.py',
      '--pretrained_model_name_or_path',
      '/models/stable-diffusion-v1-5',
      '--dataset_config',
      join(workDir, 'dataset.toml'),
      '--output_dir',
      join(workDir, 'output'),
      '--output_name',
      'lora-style_123',
      '--save_model_as',
      'safetensors',
      '--network_module',
      'networks.lora',
      '--network_dim',
      '8',
      '--network_alpha',
      '8',
      '--network_train_unet_only',
      '--learning_rate',
      '0.0001',
      '--optimizer_type',
      'AdamW8bit',
      '--max_train_steps',
      '1300',
      '--mixed_precision',
      'fp16',
      '--save_precision',
      'fp16',
      '--seed',
      '1234',
      '--cache_latents',
      '--sdpa',
      '--max_data_loader_n_workers',
      '2',
    ]);
    expect(plan.command.env).toEqual({
      PATH: '/usr/bin:/bin',
      HOME: '/home/worker',
      PYTHONUNBUFFERED: '1',
      CUDA_VISIBLE_DEVICES: '0',
    });
    expect(plan.artifactPath).toBe(join(workDir, 'output', 'lora-style_123.safetensors'));
    expect(plan.logPath).toBe(join(workDir, 'trainer.log'));
    expect(plan.schedule).toEqual({
      imageCount: 13,
      batchSize: 1,
      numRepeats: 16,
      stepsPerEpoch: 208,
      maxTrainSteps: 1300,
      epochs: 7,
    });
  });

  it('writes the exact dataset TOML sd-scripts reads', async () => {
    const plan = await engine.prepare(job());
    const expected = `[general]
caption_extension = ".txt"
shuffle_caption = true
keep_tokens = 1

[[datasets]]
resolution = [ 512, 1024 ]
batch_size = 1
enable_bucket = true
min_bucket_reso = 256
max_bucket_reso = 1024
bucket_reso_steps = 64
bucket_no_upscale = true

[[datasets.subsets]]
image_dir = "/data/jobs/style_123/dataset/16_moonlit_ink"
class_tokens = "moonlit_ink"
num_repeats = 16
caption_extension = ".txt"
`;
    expect(plan.datasetConfig).toBe(expected);
    expect(await readFile(plan.datasetConfigPath, 'utf8')).toBe(expected);
    expect(parseToml(expected)).toMatchObject({ datasets: [{ subsets: [{ num_repeats: 16 }] }] });
  });

  it('escapes awkward paths in the TOML and adds text encoder training on request', async () => {
    const withTe = createKohyaEngine({
      pythonExecutable: 'python3',
      sdScriptsDir: '/opt/sd-scripts',
      baseModelPath: '/models/sd15.safetensors',
      environment: {},
      timeLimitMs: 1000,
      network: { trainTextEncoder: true, rank: 16, alpha: 8 },
    });
    const odd = job();
    const plan = await withTe.prepare({
      ...odd,
      dataset: { ...odd.dataset, imageDir: '/data/"quoted" \\ dir' },
    });
    expect(
      (parseToml(plan.datasetConfig) as { datasets: { subsets: { image_dir: string }[] }[] }).datasets[0]
        ?.subsets[0]?.image_dir,
    ).toBe('/data/"quoted" \\ dir');
    expect(plan.command.args).not.toContain('--network_train_unet_only');
    expect(
      plan.command.args.slice(
        plan.command.args.indexOf('--network_dim'),
        plan.command.args.indexOf('--network_dim') + 4,
      ),
    ).toEqual(['--network_dim', '16', '--network_alpha', '8']);
    expect(plan.network).toEqual({ rank: 16, alpha: 8, learningRate: 1e-4, trainTextEncoder: true });
  });
});

describe('training schedule', () => {
  it.each([
    [10, 20, 200, 1000, 5],
    [13, 16, 208, 1300, 7],
    [25, 8, 200, 2500, 13],
    [100, 2, 200, 3000, 15],
  ])(
    '%i images → %i repeats, %i steps/epoch, %i steps, %i epochs',
    (images, repeats, perEpoch, steps, epochs) => {
      expect(scheduleForImageCount(images)).toMatchObject({
        numRepeats: repeats,
        stepsPerEpoch: perEpoch,
        maxTrainSteps: steps,
        epochs,
      });
    },
  );
});
