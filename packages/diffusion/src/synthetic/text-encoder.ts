// CLIPTextModel (transformers parameter names), exported like Optimum's
// text_encoder: int32 input_ids → last_hidden_state, pooler_output.
import { DataType, type OnnxModel } from '../onnx';
import { Net, type NetOptions } from './net';

export interface TextEncoderConfig {
  vocabSize: number;
  hiddenSize: number;
  layers: number;
  heads: number;
  intermediateSize: number;
  maxPositions: number;
}

const LN_EPS = 1e-5;

export function buildTextEncoder(config: TextEncoderConfig, options: NetOptions): OnnxModel {
  // The text encoder runs once per image: the plain graph is used in every variant.
  const n = new Net('text_encoder', { ...options, fused: [] });
  const D = config.hiddenSize;
  const S = config.maxPositions;
  const ids = n.g.input('input_ids', DataType.INT32, ['batch_size', 'sequence_length']);

  const seqLen = n.op('Slice', [n.op('Shape', [ids]), n.ints([1]), n.ints([2])]);
  const tokenTable = n.param('text_model.embeddings.token_embedding.weight', [config.vocabSize, D], {
    kind: 'random',
    std: 0.2,
  });
  const positionTable = n.param('text_model.embeddings.position_embedding.weight', [S, D], {
    kind: 'random',
    std: 0.1,
  });
  const tokens = n.op('Gather', [tokenTable, ids], { axis: 0 });
  const positions = n.op('Slice', [positionTable, n.ints([0]), seqLen, n.ints([0])]);
  let h = n.add(tokens, positions);

  // Causal mask: 0 on and below the diagonal, the dtype's lowest value above it.
  const lowest = options.dtype === 'fp16' ? -65504 : -3.4028234663852886e38;
  const maskValues = new Float32Array(S * S);
  for (let i = 0; i < S; i++) for (let j = i + 1; j < S; j++) maskValues[i * S + j] = lowest;
  const fullMask = n.g.constant(n.elem, [S, S], Array.from(maskValues));
  const mask = n.op('Slice', [
    fullMask,
    n.ints([0, 0]),
    n.op('Concat', [seqLen, seqLen], { axis: 0 }),
    n.ints([0, 1]),
  ]);

  for (let i = 0; i < config.layers; i++) {
    const p = `text_model.encoder.layers.${i}`;
    const normed = n.layerNorm(h, `${p}.layer_norm1`, D, LN_EPS);
    const q = n.linear(normed, `${p}.self_attn.q_proj`, D, D);
    const k = n.linear(normed, `${p}.self_attn.k_proj`, D, D);
    const v = n.linear(normed, `${p}.self_attn.v_proj`, D, D);
    const attended = n.sdpa(q, k, v, config.heads, D, mask);
    h = n.add(h, n.linear(attended, `${p}.self_attn.out_proj`, D, D));
    const mlp = n.quickGelu(
      n.linear(n.layerNorm(h, `${p}.layer_norm2`, D, LN_EPS), `${p}.mlp.fc1`, D, config.intermediateSize),
    );
    h = n.add(h, n.linear(mlp, `${p}.mlp.fc2`, config.intermediateSize, D));
  }
  const last = n.layerNorm(h, 'text_model.final_layer_norm', D, LN_EPS);

  // pooler_output: the hidden state at each sequence's end-of-text token (the highest id in CLIP's vocab).
  const eosIndex = n.op(
    'Cast',
    [n.op('ArgMax', [n.op('Cast', [ids], { to: DataType.FLOAT })], { axis: -1, keepdims: 0 })],
    { to: DataType.INT64 },
  );
  const shape = n.op('Shape', [ids]);
  const batch = n.op('Squeeze', [n.op('Slice', [shape, n.ints([0]), n.ints([1])]), n.ints([0])]);
  const seqScalar = n.op('Squeeze', [seqLen, n.ints([0])]);
  const rows = n.op('Range', [
    n.g.constant(DataType.INT64, [], [0]),
    batch,
    n.g.constant(DataType.INT64, [], [1]),
  ]);
  const flatIndex = n.add(n.op('Mul', [rows, seqScalar]), eosIndex);
  const flat = n.op('Reshape', [last, n.ints([-1, D])]);
  const pooled = n.op('Gather', [flat, flatIndex], { axis: 0 });

  n.g.output(last, 'last_hidden_state', n.elem, ['batch_size', 'sequence_length', D]);
  n.g.output(pooled, 'pooler_output', n.elem, ['batch_size', D]);
  return n.toModel();
}
