// Layer helpers that emit ONNX the way torch.onnx exports diffusers/transformers
// modules (plain form), or ONNX Runtime's CUDA contrib ops (fused form).
// Spatial tensors are NCHW in the plain form and NHWC when the `nhwc` group is fused.
import { DataType, type DataTypeValue, GraphBuilder, type OnnxModel } from '../onnx';
import { lazyWeight, type WeightInit } from './random-weights';

export type WeightDtype = 'fp32' | 'fp16';

/**
 * The com.microsoft contrib op groups the fused form emits. Each can be fused alone, so the groups
 * that have a CPU kernel can be checked against the plain graph without a GPU.
 * `nhwc`: NHWC layout with NhwcConv, GroupNorm and SkipGroupNorm; `attention`: MultiHeadAttention
 * on separate Q, K, V; `packedQkv`: MultiHeadAttention on packed QKV / KV (implies `attention`);
 * `skipLayerNorm`: SkipLayerNormalization; `geglu`: BiasSplitGelu.
 */
export const FUSED_OPS = ['nhwc', 'attention', 'packedQkv', 'skipLayerNorm', 'geglu'] as const;
export type FusedOp = (typeof FUSED_OPS)[number];

export interface NetOptions {
  dtype: WeightDtype;
  seed: number;
  /** Contrib op groups to emit; empty for the plain graph torch.onnx exports. */
  fused: readonly FusedOp[];
}

export const MS_DOMAIN = 'com.microsoft';
const OPSET = 17;

export class Net {
  readonly g: GraphBuilder;
  readonly elem: DataTypeValue;
  readonly fused: ReadonlySet<FusedOp>;
  readonly seed: number;
  usedContribOps = false;

  constructor(name: string, options: NetOptions) {
    this.g = new GraphBuilder(name);
    this.elem = options.dtype === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT;
    this.fused = new Set(options.fused);
    this.seed = options.seed;
  }

  toModel(): OnnxModel {
    const opsets = [{ domain: '', version: OPSET }];
    if (this.usedContribOps) opsets.push({ domain: MS_DOMAIN, version: 1 });
    return this.g.toModel(opsets);
  }

  // ---- parameters -------------------------------------------------------

  /** A named parameter (diffusers name), random with the given init. */
  param(name: string, dims: number[], init: WeightInit, dataType: DataTypeValue = this.elem): string {
    const count = dims.reduce((n, d) => n * d, 1);
    return this.g.initializer(name, dataType, dims, lazyWeight(this.seed, name, count, dataType, init));
  }

  /** Constant in the model's float dtype. */
  scalar(value: number): string {
    return this.g.constant(this.elem, [], [value]);
  }

  ints(values: number[]): string {
    return this.g.int64s(values);
  }

  op(type: string, inputs: string[], attrs: Parameters<GraphBuilder['node']>[2] = {}): string {
    return this.g.node(type, inputs, attrs);
  }

  ms(type: string, inputs: string[], attrs: Parameters<GraphBuilder['node']>[2] = {}, outputs = 1): string[] {
    this.usedContribOps = true;
    return this.g.nodeMulti(type, inputs, attrs, { domain: MS_DOMAIN, outputs });
  }

  // ---- elementwise ------------------------------------------------------

  add(a: string, b: string): string {
    return this.op('Add', [a, b]);
  }

  silu(x: string): string {
    return this.op('Mul', [x, this.op('Sigmoid', [x])]);
  }

  /** Exact GELU as torch exports it at opset 17: x * 0.5 * (1 + erf(x / sqrt 2)). */
  gelu(x: string): string {
    const erf = this.op('Erf', [this.op('Mul', [x, this.scalar(Math.SQRT1_2)])]);
    return this.op('Mul', [this.op('Mul', [x, this.scalar(0.5)]), this.op('Add', [erf, this.scalar(1)])]);
  }

  /** CLIP's quick_gelu: x * sigmoid(1.702 x). */
  quickGelu(x: string): string {
    return this.op('Mul', [x, this.op('Sigmoid', [this.op('Mul', [x, this.scalar(1.702)])])]);
  }

  // ---- linear layers ----------------------------------------------------

  /** nn.Linear: weight stored transposed [in, out] as MatMul's right operand; bias as Add. */
  linear(x: string, prefix: string, inF: number, outF: number, bias = true): string {
    const y = this.op('MatMul', [x, this.linearWeight(prefix, inF, outF)]);
    return bias ? this.op('Add', [y, this.linearBias(prefix, inF, outF)]) : y;
  }

  linearWeight(prefix: string, inF: number, outF: number): string {
    return this.param(`${prefix}.weight`, [inF, outF], { kind: 'random', std: 1 / Math.sqrt(inF) });
  }

  linearBias(prefix: string, inF: number, outF: number): string {
    return this.param(`${prefix}.bias`, [outF], { kind: 'random', std: 1 / Math.sqrt(inF) });
  }

  layerNorm(x: string, prefix: string, dim: number, eps: number): string {
    const [gamma, beta] = this.normParams(prefix, dim, this.elem);
    return this.op('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: { float: eps } });
  }

  normParams(prefix: string, dim: number, dataType: DataTypeValue): [string, string] {
    return [
      this.param(`${prefix}.weight`, [dim], { kind: 'around', center: 1, std: 0.05 }, dataType),
      this.param(`${prefix}.bias`, [dim], { kind: 'random', std: 0.05 }, dataType),
    ];
  }

  // ---- spatial layers (layout depends on the `nhwc` group) ----------------

  get nhwc(): boolean {
    return this.fused.has('nhwc');
  }

  get channelAxis(): number {
    return this.nhwc ? 3 : 1;
  }

  /** nn.Conv2d with PyTorch weight layout [out, in, k, k] under its diffusers name. */
  conv(
    x: string,
    prefix: string,
    cin: number,
    cout: number,
    k: number,
    stride = 1,
    pad = (k - 1) >> 1,
  ): string {
    const w = this.param(`${prefix}.weight`, [cout, cin, k, k], {
      kind: 'random',
      std: 1 / Math.sqrt(cin * k * k),
    });
    const b = this.param(`${prefix}.bias`, [cout], { kind: 'random', std: 1 / Math.sqrt(cin * k * k) });
    const attrs = {
      kernel_shape: [k, k],
      pads: [pad, pad, pad, pad],
      strides: [stride, stride],
      dilations: [1, 1],
      group: 1,
    };
    if (!this.nhwc) return this.op('Conv', [x, w, b], attrs);
    // NhwcConv wants [out, k, k, in]; the Transpose of an initializer is constant-folded by ORT,
    // so the stored weight keeps its PyTorch layout and name (LoRA merging stays uniform).
    const wNhwc = this.op('Transpose', [w], { perm: [0, 2, 3, 1] });
    return this.ms('NhwcConv', [x, wNhwc, b], attrs)[0]!;
  }

  /**
   * nn.GroupNorm (optionally followed by SiLU). Plain: the Reshape →
   * InstanceNormalization → Reshape → Mul → Add pattern torch exports.
   * Fused: com.microsoft GroupNorm (NHWC, gamma/beta fp32 as the CUDA kernel requires).
   */
  groupNorm(x: string, prefix: string, channels: number, groups: number, eps: number, silu: boolean): string {
    if (this.nhwc) {
      const [gamma, beta] = this.normParams(prefix, channels, DataType.FLOAT);
      return this.ms('GroupNorm', [x, gamma, beta], {
        activation: silu ? 1 : 0,
        channels_last: 1,
        epsilon: { float: eps },
        groups,
      })[0]!;
    }
    const [gamma, beta] = this.normParams(prefix, channels, this.elem);
    const grouped = this.op('Reshape', [x, this.ints([0, groups, -1])]);
    const ones = this.g.constant(this.elem, [groups], new Array<number>(groups).fill(1));
    const zeros = this.g.constant(this.elem, [groups], new Array<number>(groups).fill(0));
    const normed = this.op('InstanceNormalization', [grouped, ones, zeros], { epsilon: { float: eps } });
    const back = this.op('Reshape', [normed, this.op('Shape', [x])]);
    const scaled = this.op('Mul', [back, this.op('Reshape', [gamma, this.ints([channels, 1, 1])])]);
    const y = this.op('Add', [scaled, this.op('Reshape', [beta, this.ints([channels, 1, 1])])]);
    return silu ? this.silu(y) : y;
  }

  /**
   * GroupNorm of (x + skip[N, C] broadcast over H, W) with SiLU: the resnet's
   * "add time embedding, then norm2". Fused: one SkipGroupNorm.
   */
  addChannelsThenGroupNorm(
    x: string,
    skip: string,
    prefix: string,
    channels: number,
    groups: number,
    eps: number,
  ): string {
    if (this.nhwc) {
      const [gamma, beta] = this.normParams(prefix, channels, DataType.FLOAT);
      return this.ms('SkipGroupNorm', [x, gamma, beta, skip], {
        activation: 1,
        channels_last: 1,
        epsilon: { float: eps },
        groups,
      })[0]!;
    }
    const sum = this.op('Add', [x, this.op('Unsqueeze', [skip, this.ints([2, 3])])]);
    return this.groupNorm(sum, prefix, channels, groups, eps, true);
  }

  /** Nearest 2× upsampling (F.interpolate scale_factor=2). Scales stay fp32 even in fp16 models. */
  upsample2x(x: string): string {
    const scales = this.g.constant(DataType.FLOAT, [4], this.nhwc ? [1, 2, 2, 1] : [1, 1, 2, 2]);
    return this.op('Resize', [x, '', scales], {
      mode: 'nearest',
      coordinate_transformation_mode: 'asymmetric',
      nearest_mode: 'floor',
    });
  }

  concatChannels(a: string, b: string): string {
    return this.op('Concat', [a, b], { axis: this.channelAxis });
  }

  /** [N, C, H, W] / [N, H, W, C] → [N, H*W, C]. */
  toTokens(x: string, channels: number): string {
    if (this.nhwc) return this.op('Reshape', [x, this.ints([0, -1, channels])]);
    const flat = this.op('Reshape', [x, this.ints([0, channels, -1])]);
    return this.op('Transpose', [flat], { perm: [0, 2, 1] });
  }

  /** Inverse of toTokens, shaped like `like`. */
  fromTokens(t: string, like: string): string {
    if (this.nhwc) return this.op('Reshape', [t, this.op('Shape', [like])]);
    const chw = this.op('Transpose', [t], { perm: [0, 2, 1] });
    return this.op('Reshape', [chw, this.op('Shape', [like])]);
  }

  // ---- attention ----------------------------------------------------------

  /** Scaled dot-product attention over [B, S, C] projections (the exported softmax(QKᵀ·s)V form). */
  sdpa(q: string, k: string, v: string, heads: number, dim: number, mask?: string): string {
    const headDim = dim / heads;
    const split = (t: string, perm: number[]) =>
      this.op('Transpose', [this.op('Reshape', [t, this.ints([0, 0, heads, headDim])])], { perm });
    const qh = split(q, [0, 2, 1, 3]);
    const kt = split(k, [0, 2, 3, 1]);
    const vh = split(v, [0, 2, 1, 3]);
    let scores = this.op('Mul', [this.op('MatMul', [qh, kt]), this.scalar(1 / Math.sqrt(headDim))]);
    if (mask) scores = this.op('Add', [scores, mask]);
    const probs = this.op('Softmax', [scores], { axis: -1 });
    const out = this.op('Transpose', [this.op('MatMul', [probs, vh])], { perm: [0, 2, 1, 3] });
    return this.op('Reshape', [out, this.ints([0, 0, dim])]);
  }

  /**
   * diffusers Attention (to_q/to_k/to_v without bias, to_out.0 with bias).
   * Returns the output projection *before* its bias when `deferBias` (fused
   * SkipLayerNormalization takes the bias), else the full output.
   */
  attention(
    x: string,
    context: string | null,
    prefix: string,
    heads: number,
    dim: number,
    contextDim: number,
    deferBias = false,
  ): string {
    const wq = this.linearWeight(`${prefix}.to_q`, dim, dim);
    const wk = this.linearWeight(`${prefix}.to_k`, context ? contextDim : dim, dim);
    const wv = this.linearWeight(`${prefix}.to_v`, context ? contextDim : dim, dim);
    let attended: string;
    if (this.fused.has('packedQkv')) {
      const headDim = dim / heads;
      // Pack per head as MultiHeadAttention's packed layouts expect: [in, heads, n, head_dim].
      const pack = (ws: string[], inF: number) =>
        this.op('Reshape', [
          this.op(
            'Concat',
            ws.map((w) => this.op('Reshape', [w, this.ints([inF, heads, 1, headDim])])),
            { axis: 2 },
          ),
          this.ints([inF, ws.length * dim]),
        ]);
      if (context === null) {
        const qkv = this.op('MatMul', [x, pack([wq, wk, wv], dim)]);
        const packed = this.op('Reshape', [qkv, this.ints([0, 0, heads, 3, headDim])]);
        attended = this.ms('MultiHeadAttention', [packed, '', ''], { num_heads: heads })[0]!;
      } else {
        const q = this.op('MatMul', [x, wq]);
        const kv = this.op('MatMul', [context, pack([wk, wv], contextDim)]);
        const packedKv = this.op('Reshape', [kv, this.ints([0, 0, heads, 2, headDim])]);
        attended = this.ms('MultiHeadAttention', [q, packedKv], { num_heads: heads })[0]!;
      }
    } else if (this.fused.has('attention')) {
      const src = context ?? x;
      attended = this.ms(
        'MultiHeadAttention',
        [this.op('MatMul', [x, wq]), this.op('MatMul', [src, wk]), this.op('MatMul', [src, wv])],
        { num_heads: heads },
      )[0]!;
    } else {
      const src = context ?? x;
      attended = this.sdpa(
        this.op('MatMul', [x, wq]),
        this.op('MatMul', [src, wk]),
        this.op('MatMul', [src, wv]),
        heads,
        dim,
      );
    }
    const projected = this.op('MatMul', [attended, this.linearWeight(`${prefix}.to_out.0`, dim, dim)]);
    return deferBias ? projected : this.add(projected, this.linearBias(`${prefix}.to_out.0`, dim, dim));
  }
}
