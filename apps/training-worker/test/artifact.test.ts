import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { JobFailure } from '@stylelicense/contracts';
import { writeSafetensorsFile, type TensorInput } from '@stylelicense/safetensors';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateLoraArtifact } from '../src/index';

type Tensors = [string, TensorInput][];

function loraModule(name: string, rank: number, inFeatures = 16, outFeatures = 16, alpha = rank): Tensors {
  return [
    [`${name}.alpha`, { dtype: 'F16', shape: [], values: [alpha] }],
    [
      `${name}.lora_down.weight`,
      { dtype: 'F16', shape: [rank, inFeatures], values: new Float32Array(rank * inFeatures).fill(0.01) },
    ],
    [
      `${name}.lora_up.weight`,
      { dtype: 'F16', shape: [outFeatures, rank], values: new Float32Array(outFeatures * rank).fill(-0.01) },
    ],
  ];
}

const UNET = 'lora_unet_down_blocks_0_attentions_0_transformer_blocks_0_attn1_to_q';
const TE = 'lora_te_text_model_encoder_layers_0_self_attn_q_proj';

describe('validateLoraArtifact', () => {
  let tempDir: TempDir;
  let dir: string;
  let n = 0;
  beforeAll(async () => {
    tempDir = await makeTempDir('artifact');
    dir = tempDir.path;
  });
  afterAll(async () => {
    await tempDir.remove();
  });

  const write = async (tensors: Tensors) => {
    const path = join(dir, `lora-${++n}.safetensors`);
    await writeSafetensorsFile(path, tensors, { ss_network_dim: '8' });
    return path;
  };
  const reasonOf = async (path: string, trainTextEncoder = false) => {
    const error = await validateLoraArtifact(path, { rank: 8, trainTextEncoder }).then(
      () => new Error('expected ARTIFACT_INVALID'),
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(JobFailure);
    expect((error as JobFailure).code).toBe('ARTIFACT_INVALID');
    return (error as JobFailure).message;
  };

  it('accepts a kohya LoRA and summarises it', async () => {
    const path = await write([
      ...loraModule(UNET, 8),
      ...loraModule(`${UNET.replace('q', 'k')}`, 8),
      ...loraModule(TE, 8),
    ]);
    expect(await validateLoraArtifact(path, { rank: 8, trainTextEncoder: true })).toMatchObject({
      rank: 8,
      unetModules: 2,
      textEncoderModules: 1,
      tensorCount: 9,
      metadata: { ss_network_dim: '8' },
    });
  });

  it('accepts 1×1 convolution modules (4-D weights)', async () => {
    const conv = 'lora_unet_down_blocks_0_attentions_0_proj_in';
    const path = await write([
      [`${conv}.alpha`, { dtype: 'F32', shape: [], values: [4] }],
      [`${conv}.lora_down.weight`, { dtype: 'F32', shape: [8, 4, 1, 1], values: new Float32Array(32) }],
      [`${conv}.lora_up.weight`, { dtype: 'F32', shape: [4, 8, 1, 1], values: new Float32Array(32) }],
    ]);
    expect((await validateLoraArtifact(path, { rank: 8, trainTextEncoder: false })).unetModules).toBe(1);
  });

  it('refuses a missing or empty file', async () => {
    expect(await reasonOf(join(dir, 'absent.safetensors'))).toContain('no adapter file was written');
    const empty = join(dir, 'empty.safetensors');
    await writeFile(empty, '');
    expect(await reasonOf(empty)).toContain('empty');
  });

  it('refuses a malformed safetensors file with the parser reason', async () => {
    const broken = join(dir, 'broken.safetensors');
    const bytes = new Uint8Array(24);
    new DataView(bytes.buffer).setBigUint64(0, 16n, true);
    bytes.set(new TextEncoder().encode('{"a": [1, 2, 3]}'), 8);
    await writeFile(broken, bytes);
    expect(await reasonOf(broken)).toMatch(/invalid safetensors \(header_structure\)/);
  });

  it('refuses modules with a missing part, a wrong rank, or a bad alpha', async () => {
    expect(await reasonOf(await write(loraModule(UNET, 8).filter(([k]) => !k.endsWith('alpha'))))).toContain(
      'lacks alpha',
    );
    expect(await reasonOf(await write(loraModule(UNET, 4)))).toContain('rank 4/4, expected 8');
    expect(await reasonOf(await write(loraModule(UNET, 8, 16, 16, 0)))).toContain('alpha 0');
  });

  it('refuses foreign keys, non-float tensors, missing UNet or text encoder modules, and infinities', async () => {
    expect(
      await reasonOf(
        await write([
          ...loraModule(UNET, 8),
          ['model.diffusion_model.x', { dtype: 'F16', shape: [1], values: [1] }],
        ]),
      ),
    ).toContain('unexpected tensor "model.diffusion_model.x"');
    const ints: Tensors = loraModule(UNET, 8).map(([k, t]) =>
      k.endsWith('alpha') ? [k, { dtype: 'I32', shape: [], bytes: new Uint8Array([8, 0, 0, 0]) }] : [k, t],
    );
    expect(await reasonOf(await write(ints))).toContain('has dtype I32');
    expect(await reasonOf(await write(loraModule(TE, 8)))).toContain('no UNet modules');
    expect(await reasonOf(await write(loraModule(UNET, 8)), true)).toContain('no text encoder modules');
    const inf = loraModule(UNET, 8);
    inf[1] = [
      `${UNET}.lora_down.weight`,
      { dtype: 'F16', shape: [8, 16], values: new Float32Array(128).fill(1e6) },
    ];
    expect(await reasonOf(await write(inf))).toContain('non-finite value (Infinity)');
  });
});
