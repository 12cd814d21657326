// AutoencoderKL encoder (Encoder + quant_conv), exported like Optimum's vae_encoder:
// sample [b, 3, H, W] → latent_parameters [b, 2·latent, H/8, W/8] (mean, then log-variance).
import { type OnnxModel } from '../onnx';
import { DiffusionError } from '../pipeline/errors';
import { Net, type NetOptions } from './net';
import type { VaeDecoderConfig } from './vae-decoder';

const EPS = 1e-6;

export function buildVaeEncoder(config: VaeDecoderConfig, options: NetOptions): OnnxModel {
  if (options.fused.length > 0)
    throw new DiffusionError(
      'INVALID_INPUT',
      'the VAE encoder is built in plain form only (training runs it once per artwork)',
    );
  const n = new Net('vae_encoder', options);
  const g = config.groups;
  const L = config.latentChannels;
  const sample = n.g.input('sample', n.elem, ['batch_size', 3, 'height', 'width']);

  const resnet = (x: string, prefix: string, cin: number, cout: number): string => {
    let h = n.groupNorm(x, `${prefix}.norm1`, cin, g, EPS, true);
    h = n.conv(h, `${prefix}.conv1`, cin, cout, 3);
    h = n.groupNorm(h, `${prefix}.norm2`, cout, g, EPS, true);
    h = n.conv(h, `${prefix}.conv2`, cout, cout, 3);
    return n.add(cin === cout ? x : n.conv(x, `${prefix}.conv_shortcut`, cin, cout, 1), h);
  };
  const attention = (x: string, prefix: string, channels: number): string => {
    const normed = n.groupNorm(x, `${prefix}.group_norm`, channels, g, EPS, false);
    const out = n.attention(n.toTokens(normed, channels), null, prefix, 1, channels, channels);
    return n.add(n.fromTokens(out, x), x);
  };

  const boc = config.blockOutChannels;
  let x = n.conv(sample, 'encoder.conv_in', 3, boc[0]!, 3);
  let channels = boc[0]!;
  boc.forEach((out, i) => {
    for (let j = 0; j < config.layersPerBlock; j++) {
      x = resnet(x, `encoder.down_blocks.${i}.resnets.${j}`, channels, out);
      channels = out;
    }
    if (i < boc.length - 1) {
      // diffusers' Downsample2D pads right and bottom by one, then a stride-2 conv without padding.
      const padded = n.op('Pad', [x, n.ints([0, 0, 0, 0, 0, 0, 1, 1])]);
      x = n.conv(padded, `encoder.down_blocks.${i}.downsamplers.0.conv`, out, out, 3, 2, 0);
    }
  });
  x = resnet(x, 'encoder.mid_block.resnets.0', channels, channels);
  x = attention(x, 'encoder.mid_block.attentions.0', channels);
  x = resnet(x, 'encoder.mid_block.resnets.1', channels, channels);
  x = n.groupNorm(x, 'encoder.conv_norm_out', channels, g, EPS, true);
  x = n.conv(x, 'encoder.conv_out', channels, 2 * L, 3);
  x = n.conv(x, 'quant_conv', 2 * L, 2 * L, 1);
  n.g.output(x, 'latent_parameters', n.elem, ['batch_size', 2 * L, 'latent_height', 'latent_width']);
  return n.toModel();
}
