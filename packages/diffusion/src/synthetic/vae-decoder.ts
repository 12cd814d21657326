// AutoencoderKL decoder (post_quant_conv + Decoder), exported like Optimum's
// vae_decoder: latent_sample [b, 4, h, w] → sample [b, 3, 8h, 8w].
import { type OnnxModel } from '../onnx';
import { Net, type NetOptions } from './net';

export interface VaeDecoderConfig {
  /** Encoder order, as in diffusers' config (the decoder walks it reversed). */
  blockOutChannels: number[];
  layersPerBlock: number;
  latentChannels: number;
  groups: number;
}

const EPS = 1e-6;

export function buildVaeDecoder(config: VaeDecoderConfig, options: NetOptions): OnnxModel {
  const n = new Net('vae_decoder', options);
  const g = config.groups;
  const L = config.latentChannels;
  const latent = n.g.input('latent_sample', n.elem, ['batch_size', L, 'latent_height', 'latent_width']);

  const resnet = (x: string, prefix: string, cin: number, cout: number): string => {
    let h = n.groupNorm(x, `${prefix}.norm1`, cin, g, EPS, true);
    h = n.conv(h, `${prefix}.conv1`, cin, cout, 3);
    h = n.groupNorm(h, `${prefix}.norm2`, cout, g, EPS, true);
    h = n.conv(h, `${prefix}.conv2`, cout, cout, 3);
    return n.add(cin === cout ? x : n.conv(x, `${prefix}.conv_shortcut`, cin, cout, 1), h);
  };

  // Single-head spatial self-attention of the mid block.
  const attention = (x: string, prefix: string, channels: number): string => {
    const normed = n.groupNorm(x, `${prefix}.group_norm`, channels, g, EPS, false);
    const tokens = n.toTokens(normed, channels);
    const out = n.attention(tokens, null, prefix, 1, channels, channels);
    return n.add(n.fromTokens(out, x), x);
  };

  const reversed = [...config.blockOutChannels].reverse();
  let x = n.nhwc ? n.op('Transpose', [latent], { perm: [0, 2, 3, 1] }) : latent;
  x = n.conv(x, 'post_quant_conv', L, L, 1);
  x = n.conv(x, 'decoder.conv_in', L, reversed[0]!, 3);
  x = resnet(x, 'decoder.mid_block.resnets.0', reversed[0]!, reversed[0]!);
  x = attention(x, 'decoder.mid_block.attentions.0', reversed[0]!);
  x = resnet(x, 'decoder.mid_block.resnets.1', reversed[0]!, reversed[0]!);

  let channels = reversed[0]!;
  reversed.forEach((out, i) => {
    for (let j = 0; j <= config.layersPerBlock; j++) {
      x = resnet(x, `decoder.up_blocks.${i}.resnets.${j}`, channels, out);
      channels = out;
    }
    if (i < reversed.length - 1)
      x = n.conv(n.upsample2x(x), `decoder.up_blocks.${i}.upsamplers.0.conv`, out, out, 3);
  });

  x = n.groupNorm(x, 'decoder.conv_norm_out', channels, g, EPS, true);
  x = n.conv(x, 'decoder.conv_out', channels, 3, 3);
  if (n.nhwc) x = n.op('Transpose', [x], { perm: [0, 3, 1, 2] });
  n.g.output(x, 'sample', n.elem, ['batch_size', 3, 'height', 'width']);
  return n.toModel();
}
