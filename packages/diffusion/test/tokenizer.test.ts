import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTempDir, type TempDir } from '@stylelicense/test-kit';
import { afterAll, describe, expect, it } from 'vitest';
import { fromByteLevel, toByteLevel } from '../src/tokenizer/byte-encoding';
import { ClipTokenizer } from '../src/tokenizer/clip-tokenizer';

// A slice of the real CLIP ViT-L/14 vocabulary (ids as in openai/clip-vit-large-patch14),
// with just the merges needed to build these words.
const vocab: Record<string, number> = {
  '!': 0,
  'a</w>': 320,
  'photo</w>': 1125,
  'of</w>': 539,
  'cat</w>': 2368,
  cat: 5871,
  's</w>': 82,
  a: 64,
  c: 66,
  f: 69,
  h: 71,
  o: 78,
  p: 79,
  t: 83,
  'o</w>': 334,
  'f</w>': 325,
  't</w>': 339,
  ph: 1042,
  pho: 1688,
  phot: 9068,
  of: 1048,
  ca: 1101,
  ',</w>': 267,
  '<|startoftext|>': 49406,
  '<|endoftext|>': 49407,
};
const merges = [
  '#version: 0.2',
  'p h',
  'ph o',
  'pho t',
  'phot o</w>',
  'o f</w>',
  'c a',
  'ca t</w>',
  'ca t',
].join('\n');

const tokenizer = new ClipTokenizer({ vocab, merges });

describe('CLIP tokenizer', () => {
  it('encodes a prompt like CLIP: start, lower-cased words with </w> ends, end, padded to 77', () => {
    const ids = tokenizer.encode('A Photo   of a CAT');
    expect(ids.length).toBe(77);
    expect(Array.from(ids.slice(0, 7))).toEqual([49406, 320, 1125, 539, 320, 2368, 49407]);
    // SD 1.x pads with the end-of-text token.
    expect(ids.slice(7).every((id) => id === 49407)).toBe(true);
  });

  it('splits a word into sub-word tokens when no merge joins them', () => {
    // "cats": merges build "cat" (no word end) and leave "s</w>".
    expect(tokenizer.tokenize('cats')).toEqual([5871, 82]);
    // Punctuation is its own word.
    expect(tokenizer.tokenize('cat, cat')).toEqual([2368, 267, 2368]);
  });

  it('truncates long prompts and still ends with end-of-text', () => {
    const ids = tokenizer.encode(Array.from({ length: 200 }, () => 'cat').join(' '));
    expect(ids.length).toBe(77);
    expect(ids[0]).toBe(49406);
    expect(ids[76]).toBe(49407);
    expect(ids.slice(1, 76).every((id) => id === 2368)).toBe(true);
  });

  it('pads with the configured pad token (SD 2.x uses "!")', () => {
    const sd2 = new ClipTokenizer({ vocab, merges, padToken: '!' });
    const ids = sd2.encode('a cat');
    expect(Array.from(ids.slice(0, 5))).toEqual([49406, 320, 2368, 49407, 0]);
    expect(ids.slice(4).every((id) => id === 0)).toBe(true);
  });

  it('handles an empty prompt (unconditional embedding input)', () => {
    const ids = tokenizer.encode('');
    expect(ids[0]).toBe(49406);
    expect(ids[1]).toBe(49407);
  });

  it('uses the GPT-2 byte alphabet and round-trips UTF-8', () => {
    expect(toByteLevel(' ')).toBe('\u0120'); // "Ġ"
    expect(toByteLevel('é')).toBe('\u00c3\u00a9'); // UTF-8 bytes c3 a9
    expect(fromByteLevel(toByteLevel('café ☕ 猫'))).toBe('café ☕ 猫');
  });

  it('decodes ids back to text', () => {
    expect(tokenizer.decode(tokenizer.encode('a photo of a cat'))).toBe('a photo of a cat');
  });

  describe('from a tokenizer folder', () => {
    let tempDir: TempDir | undefined;
    afterAll(() => tempDir?.remove());

    it('reads vocab.json, merges.txt and the pad token', async () => {
      tempDir = await makeTempDir('tokenizer');
      const dir = tempDir.path;
      await writeFile(join(dir, 'vocab.json'), JSON.stringify(vocab));
      await writeFile(join(dir, 'merges.txt'), merges);
      await writeFile(join(dir, 'special_tokens_map.json'), JSON.stringify({ pad_token: { content: '!' } }));
      const loaded = await ClipTokenizer.fromDirectory(dir);
      expect(loaded.padId).toBe(0);
      expect(Array.from(loaded.encode('a photo of a cat').slice(0, 8))).toEqual([
        49406, 320, 1125, 539, 320, 2368, 49407, 0,
      ]);
    });

    it('reports a missing file as MODEL_NOT_FOUND', async () => {
      await expect(ClipTokenizer.fromDirectory(join(tmpdir(), 'sl-no-such-tokenizer'))).rejects.toMatchObject(
        {
          code: 'MODEL_NOT_FOUND',
          retryable: false,
        },
      );
    });
  });
});
