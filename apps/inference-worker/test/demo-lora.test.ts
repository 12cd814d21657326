import { parseLora } from '@stylelicense/diffusion';
import { parseSafetensors } from '@stylelicense/safetensors';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { demoLoraMaker } from '../src/demo-lora';
import { buildTinyModel } from './harness';

let dir: TempDir;
let modelDir: string;
beforeAll(async () => {
  dir = await makeTempDir('inference-demo-lora');
  modelDir = buildTinyModel(dir.path);
});
afterAll(() => dir?.remove());

describe('demo style LoRAs', () => {
  it("adapt every attention projection of the model's UNet, kohya keys, rank 4", async () => {
    const makeLora = await demoLoraMaker(modelDir);
    const adapter = parseLora(makeLora(1), 'demo');
    expect(adapter.format).toBe('kohya');
    const paths = adapter.layers.map((layer) => layer.modulePath);
    // tiny: attention in down_blocks.1, mid_block and up_blocks.0 (×2); attn1 + attn2; q, k, v, out.
    expect(paths).toHaveLength(4 * 2 * 4);
    expect(paths).toContain('mid_block_attentions_0_transformer_blocks_0_attn2_to_k');
    expect(
      adapter.layers.every((layer) => layer.component === 'unet' && layer.rank === 4 && layer.scale === 1),
    ).toBe(true);
    const crossKey = adapter.layers.find((layer) => layer.modulePath.endsWith('attn2_to_k'))!;
    expect(crossKey.down.shape).toEqual([4, 32]); // text dim 32 → 64 channels
    expect(crossKey.up.shape).toEqual([64, 4]);
  });

  it('are the same for the same seed and differ between seeds', async () => {
    const makeLora = await demoLoraMaker(modelDir);
    expect(Buffer.from(makeLora(5)).equals(Buffer.from(makeLora(5)))).toBe(true);
    expect(Buffer.from(makeLora(5)).equals(Buffer.from(makeLora(6)))).toBe(false);
    expect(parseSafetensors(makeLora(5)).metadata).toMatchObject({
      ss_network_dim: '4',
      stylelicense_demo: 'true',
    });
  });

  it('refuse a folder without a UNet', async () => {
    await expect(demoLoraMaker(dir.path)).rejects.toThrow(/unet/);
  });
});
