import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DiffusionError } from '../pipeline/errors';
import { fromByteLevel, toByteLevel } from './byte-encoding';

export const CLIP_CONTEXT_LENGTH = 77;
const BOS = '<|startoftext|>';
const EOS = '<|endoftext|>';
const WORD_END = '</w>';

// CLIP's pre-tokenizer: special tokens, English contractions, letter runs, single digits, punctuation runs.
const PRE_TOKENIZE =
  /<\|startoftext\|>|<\|endoftext\|>|'s|'t|'re|'ve|'m|'ll|'d|[\p{L}]+|[\p{N}]|[^\s\p{L}\p{N}]+/giu;

export interface ClipTokenizerFiles {
  /** vocab.json: token → id */
  vocab: Record<string, number>;
  /** merges.txt content (first line may be a `#version` header) */
  merges: string;
  /** pad token; defaults to the end-of-text token (SD 1.x); SD 2.x uses "!" */
  padToken?: string;
  contextLength?: number;
}

/**
 * CLIP byte-level BPE tokenizer as used by Stable Diffusion's text encoder.
 * Text is normalised (NFC, control characters dropped, whitespace collapsed, lower-cased),
 * split with CLIP's pattern, byte-encoded, merged by BPE with `</w>` marking a word's end,
 * framed by start/end-of-text, truncated to the context length and padded.
 */
export class ClipTokenizer {
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly contextLength: number;
  private readonly vocab: Map<string, number>;
  private readonly idToToken: Map<number, string>;
  private readonly ranks: Map<string, number>;
  private readonly cache = new Map<string, string[]>();

  constructor(files: ClipTokenizerFiles) {
    this.vocab = new Map(Object.entries(files.vocab));
    this.idToToken = new Map([...this.vocab].map(([token, id]) => [id, token]));
    this.ranks = new Map();
    let rank = 0;
    for (const line of files.merges.split('\n')) {
      const trimmed = line.trim();
      if (trimmed === '' || trimmed.startsWith('#version')) continue;
      const parts = trimmed.split(' ');
      if (parts.length !== 2)
        throw new DiffusionError('MODEL_INVALID', `tokenizer merges.txt: bad line "${trimmed}"`);
      this.ranks.set(trimmed, rank++);
    }
    this.bosId = this.requireId(BOS);
    this.eosId = this.requireId(EOS);
    this.padId = this.requireId(files.padToken ?? EOS);
    this.contextLength = files.contextLength ?? CLIP_CONTEXT_LENGTH;
  }

  /** Loads `vocab.json`, `merges.txt` and (optionally) the pad token from a tokenizer folder. */
  static async fromDirectory(dir: string): Promise<ClipTokenizer> {
    const [vocabText, merges] = await Promise.all([
      readRequired(join(dir, 'vocab.json')),
      readRequired(join(dir, 'merges.txt')),
    ]);
    let vocab: Record<string, number>;
    try {
      vocab = JSON.parse(vocabText) as Record<string, number>;
    } catch (error) {
      throw new DiffusionError('MODEL_INVALID', `tokenizer vocab.json is not valid JSON`, { cause: error });
    }
    const config = await readOptionalJson(join(dir, 'tokenizer_config.json'));
    const special = await readOptionalJson(join(dir, 'special_tokens_map.json'));
    const padToken = tokenContent(special?.pad_token) ?? tokenContent(config?.pad_token);
    const maxLength =
      typeof config?.model_max_length === 'number' && config.model_max_length <= 1024
        ? config.model_max_length
        : undefined;
    return new ClipTokenizer({ vocab, merges, padToken, contextLength: maxLength });
  }

  /** Token ids without framing, truncation or padding. */
  tokenize(text: string): number[] {
    const ids: number[] = [];
    for (const match of normalize(text).matchAll(PRE_TOKENIZE)) {
      const piece = match[0];
      if (piece === BOS || piece === EOS) {
        ids.push(this.requireId(piece));
        continue;
      }
      for (const token of this.bpe(toByteLevel(piece))) ids.push(this.vocab.get(token) ?? this.eosId);
    }
    return ids;
  }

  /** Exactly `contextLength` ids: start, text (truncated), end, padding. */
  encode(text: string): Int32Array {
    const body = this.tokenize(text).slice(0, this.contextLength - 2);
    const ids = new Int32Array(this.contextLength).fill(this.padId);
    ids[0] = this.bosId;
    ids.set(body, 1);
    ids[body.length + 1] = this.eosId;
    return ids;
  }

  decode(ids: Iterable<number>): string {
    let text = '';
    for (const id of ids) {
      if (id === this.bosId || id === this.eosId || id === this.padId) continue;
      text += this.idToToken.get(id) ?? '';
    }
    return text.split(WORD_END).map(fromByteLevel).join(' ').trim();
  }

  private bpe(word: string): string[] {
    const cached = this.cache.get(word);
    if (cached) return cached;
    const symbols = Array.from(word);
    const last = symbols.length - 1;
    symbols[last] = `${symbols[last]}${WORD_END}`;
    while (symbols.length > 1) {
      let best = -1;
      let bestRank = Infinity;
      for (let i = 0; i < symbols.length - 1; i++) {
        const rank = this.ranks.get(`${symbols[i]} ${symbols[i + 1]}`);
        if (rank !== undefined && rank < bestRank) {
          bestRank = rank;
          best = i;
        }
      }
      if (best < 0) break;
      // Merge every occurrence of the best pair, left to right, like the reference implementation.
      const first = symbols[best]!;
      const second = symbols[best + 1]!;
      const merged: string[] = [];
      for (let i = 0; i < symbols.length; i++) {
        if (i < symbols.length - 1 && symbols[i] === first && symbols[i + 1] === second) {
          merged.push(first + second);
          i++;
        } else {
          merged.push(symbols[i]!);
        }
      }
      symbols.splice(0, symbols.length, ...merged);
    }
    if (this.cache.size < 10_000) this.cache.set(word, symbols);
    return symbols;
  }

  private requireId(token: string): number {
    const id = this.vocab.get(token);
    if (id === undefined) throw new DiffusionError('MODEL_INVALID', `tokenizer vocab.json lacks ${token}`);
    return id;
  }
}

/** ftfy-free version of CLIP's cleaning: NFC, no control characters, single spaces, lower case. */
function normalize(text: string): string {
  return text
    .normalize('NFC')
    .replace(/[\p{Cc}\p{Cf}]/gu, ' ')
    .replace(/\s+/gu, ' ')
    .trim()
    .toLowerCase();
}

async function readRequired(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    throw new DiffusionError('MODEL_NOT_FOUND', `tokenizer file missing: ${path}`, { cause: error });
  }
}

async function readOptionalJson(path: string): Promise<Record<string, unknown> | undefined> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    return undefined;
  }
  try {
    return JSON.parse(text) as Record<string, unknown>;
  } catch (error) {
    throw new DiffusionError('MODEL_INVALID', `${path} is not valid JSON`, { cause: error });
  }
}

function tokenContent(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') {
    return (value as { content: string }).content;
  }
  return undefined;
}
