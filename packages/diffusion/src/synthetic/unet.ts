// UNet2DConditionModel (Stable Diffusion 1.x layout) with diffusers parameter
// names, exported with Optimum's input/output names and dtypes.
import { DataType, type OnnxModel } from '../onnx';
import { Net, type NetOptions } from './net';

export interface UNetConfig {
  blockOutChannels: number[];
  layersPerBlock: number;
  /** Per down block: CrossAttnDownBlock2D (true) or DownBlock2D (false). Up blocks mirror it. */
  crossAttention: boolean[];
  /** SD 1.x's `attention_head_dim` (really the number of heads). */
  heads: number;
  crossAttentionDim: number;
  groups: number;
  inChannels: number;
  outChannels: number;
}

const RESNET_EPS = 1e-5;
const ATTN_NORM_EPS = 1e-6;
const LN_EPS = 1e-5;

class UNetBuilder {
  constructor(
    private readonly n: Net,
    private readonly c: UNetConfig,
  ) {}

  private get timeDim(): number {
    return this.c.blockOutChannels[0]! * 4;
  }

  /** Timesteps(flip_sin_to_cos=True, shift 0) → TimestepEmbedding(linear_1, SiLU, linear_2). */
  timeEmbedding(timestep: string, sample: string): string {
    const n = this.n;
    const c0 = this.c.blockOutChannels[0]!;
    const half = c0 / 2;
    const batch = n.op('Slice', [n.op('Shape', [sample]), n.ints([0]), n.ints([1])]);
    // The ORT pipelines feed one timestep for the whole (CFG-doubled) batch: broadcast it, as diffusers does.
    const t = n.op('Cast', [n.op('Expand', [timestep, batch])], { to: DataType.FLOAT });
    const freqs = Array.from({ length: half }, (_, i) => Math.exp((-Math.log(10000) * i) / half));
    const args = n.op('Mul', [
      n.op('Unsqueeze', [t, n.ints([1])]),
      n.g.constant(DataType.FLOAT, [1, half], freqs),
    ]);
    let emb = n.op('Concat', [n.op('Cos', [args]), n.op('Sin', [args])], { axis: 1 });
    if (n.elem !== DataType.FLOAT) emb = n.op('Cast', [emb], { to: n.elem });
    const h = n.silu(n.linear(emb, 'time_embedding.linear_1', c0, this.timeDim));
    return n.linear(h, 'time_embedding.linear_2', this.timeDim, this.timeDim);
  }

  resnet(x: string, temb: string, prefix: string, cin: number, cout: number): string {
    const n = this.n;
    const g = this.c.groups;
    let h = n.groupNorm(x, `${prefix}.norm1`, cin, g, RESNET_EPS, true);
    h = n.conv(h, `${prefix}.conv1`, cin, cout, 3);
    const t = n.linear(n.silu(temb), `${prefix}.time_emb_proj`, this.timeDim, cout);
    h = n.addChannelsThenGroupNorm(h, t, `${prefix}.norm2`, cout, g, RESNET_EPS);
    h = n.conv(h, `${prefix}.conv2`, cout, cout, 3);
    const shortcut = cin === cout ? x : n.conv(x, `${prefix}.conv_shortcut`, cin, cout, 1);
    return n.add(shortcut, h);
  }

  /** Transformer2DModel with one BasicTransformerBlock (proj_in/proj_out as 1×1 convs, SD 1.x). */
  transformer(x: string, context: string, prefix: string, channels: number): string {
    const n = this.n;
    const heads = this.c.heads;
    const ctxDim = this.c.crossAttentionDim;
    let h = n.groupNorm(x, `${prefix}.norm`, channels, this.c.groups, ATTN_NORM_EPS, false);
    h = n.conv(h, `${prefix}.proj_in`, channels, channels, 1);
    const tokens = n.toTokens(h, channels);
    const b = `${prefix}.transformer_blocks.0`;
    // With `skipLayerNorm` fused, each attention output's bias, the residual and the next LayerNorm
    // are one SkipLayerNormalization, as ORT's unet optimizer emits them.
    const fuseSkip = n.fused.has('skipLayerNorm');
    const residualThenNorm = (attended: string, residual: string, attn: string, norm: string) =>
      fuseSkip
        ? this.skipLayerNorm(attended, residual, norm, attn, channels)
        : ((sum: string) => [n.layerNorm(sum, norm, channels, LN_EPS), sum] as const)(
            n.add(attended, residual),
          );
    const n1 = n.layerNorm(tokens, `${b}.norm1`, channels, LN_EPS);
    const a1 = n.attention(n1, null, `${b}.attn1`, heads, channels, channels, fuseSkip);
    const [n2, h1] = residualThenNorm(a1, tokens, `${b}.attn1.to_out.0`, `${b}.norm2`);
    const a2 = n.attention(n2, context, `${b}.attn2`, heads, channels, ctxDim, fuseSkip);
    const [n3, h2] = residualThenNorm(a2, h1, `${b}.attn2.to_out.0`, `${b}.norm3`);
    const out = n.add(
      n.linear(this.geglu(n3, `${b}.ff.net.0.proj`, channels), `${b}.ff.net.2`, channels * 4, channels),
      h2,
    );
    const spatial = n.fromTokens(out, h);
    return n.add(n.conv(spatial, `${prefix}.proj_out`, channels, channels, 1), x);
  }

  /** GEGLU projection to 8C: the first half is the value, the second the gate. Fused: BiasSplitGelu. */
  private geglu(x: string, prefix: string, channels: number): string {
    const n = this.n;
    if (n.fused.has('geglu')) {
      const proj = n.op('MatMul', [x, n.linearWeight(prefix, channels, channels * 8)]);
      return n.ms('BiasSplitGelu', [proj, n.linearBias(prefix, channels, channels * 8)])[0]!;
    }
    const proj = n.linear(x, prefix, channels, channels * 8);
    const value = n.op('Slice', [proj, n.ints([0]), n.ints([channels * 4]), n.ints([-1])]);
    const gate = n.op('Slice', [proj, n.ints([channels * 4]), n.ints([channels * 8]), n.ints([-1])]);
    return n.op('Mul', [value, n.gelu(gate)]);
  }

  /** SkipLayerNormalization: (input + bias + skip) → LayerNorm; returns [normed, sum]. */
  private skipLayerNorm(
    input: string,
    skip: string,
    normPrefix: string,
    biasPrefix: string,
    channels: number,
  ): readonly [string, string] {
    const n = this.n;
    const [gamma, beta] = n.normParams(normPrefix, channels, n.elem);
    const bias = n.linearBias(biasPrefix, channels, channels);
    n.usedContribOps = true;
    const normed = n.g.fresh('SkipLayerNorm_out');
    const sum = n.g.fresh('SkipLayerNorm_sum');
    n.g.nodeMulti(
      'SkipLayerNormalization',
      [input, skip, gamma, beta, bias],
      { epsilon: { float: LN_EPS } },
      {
        domain: 'com.microsoft',
        outputNames: [normed, '', '', sum],
      },
    );
    return [normed, sum];
  }

  build(sample: string, timestep: string, context: string): string {
    const n = this.n;
    const { blockOutChannels: boc, layersPerBlock: lpb, crossAttention } = this.c;
    const temb = this.timeEmbedding(timestep, sample);
    let x = n.nhwc ? n.op('Transpose', [sample], { perm: [0, 2, 3, 1] }) : sample;
    x = n.conv(x, 'conv_in', this.c.inChannels, boc[0]!, 3);
    const skips: { value: string; channels: number }[] = [{ value: x, channels: boc[0]! }];

    let channels = boc[0]!;
    boc.forEach((out, i) => {
      for (let j = 0; j < lpb; j++) {
        x = this.resnet(x, temb, `down_blocks.${i}.resnets.${j}`, channels, out);
        channels = out;
        if (crossAttention[i]) x = this.transformer(x, context, `down_blocks.${i}.attentions.${j}`, out);
        skips.push({ value: x, channels: out });
      }
      if (i < boc.length - 1) {
        x = n.conv(x, `down_blocks.${i}.downsamplers.0.conv`, out, out, 3, 2);
        skips.push({ value: x, channels: out });
      }
    });

    const top = boc[boc.length - 1]!;
    x = this.resnet(x, temb, 'mid_block.resnets.0', top, top);
    x = this.transformer(x, context, 'mid_block.attentions.0', top);
    x = this.resnet(x, temb, 'mid_block.resnets.1', top, top);

    const reversed = [...boc].reverse();
    const upCross = [...crossAttention].reverse();
    channels = top;
    reversed.forEach((out, i) => {
      for (let j = 0; j <= lpb; j++) {
        const skip = skips.pop()!;
        x = this.resnet(
          n.concatChannels(x, skip.value),
          temb,
          `up_blocks.${i}.resnets.${j}`,
          channels + skip.channels,
          out,
        );
        channels = out;
        if (upCross[i]) x = this.transformer(x, context, `up_blocks.${i}.attentions.${j}`, out);
      }
      if (i < reversed.length - 1)
        x = n.conv(n.upsample2x(x), `up_blocks.${i}.upsamplers.0.conv`, out, out, 3);
    });

    x = n.groupNorm(x, 'conv_norm_out', boc[0]!, this.c.groups, RESNET_EPS, true);
    x = n.conv(x, 'conv_out', boc[0]!, this.c.outChannels, 3);
    return n.nhwc ? n.op('Transpose', [x], { perm: [0, 3, 1, 2] }) : x;
  }
}

export function buildUNet(config: UNetConfig, options: NetOptions): OnnxModel {
  const n = new Net('unet', options);
  const sample = n.g.input('sample', n.elem, ['batch_size', config.inChannels, 'height', 'width']);
  // Optimum exports the UNet timestep as int64 of shape [steps] (1 or batch).
  const timestep = n.g.input('timestep', DataType.INT64, ['steps']);
  const context = n.g.input('encoder_hidden_states', n.elem, [
    'batch_size',
    'sequence_length',
    config.crossAttentionDim,
  ]);
  const out = new UNetBuilder(n, config).build(sample, timestep, context);
  n.g.output(out, 'out_sample', n.elem, ['batch_size', config.outChannels, 'height', 'width']);
  return n.toModel();
}
