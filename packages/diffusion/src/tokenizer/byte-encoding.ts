/**
 * GPT-2/CLIP byte-level alphabet: every byte maps to a printable code point, so BPE works on
 * arbitrary UTF-8 without an unknown-byte case. Printable Latin-1 bytes map to themselves, the
 * rest (controls, space, …) to code points from 256 upwards in byte order.
 */
function buildByteAlphabet(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const alphabet = new Array<string>(256);
  const isPrintable = new Set(printable);
  for (const b of printable) alphabet[b] = String.fromCodePoint(b);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    if (!isPrintable.has(b)) alphabet[b] = String.fromCodePoint(next++);
  }
  return alphabet;
}

const BYTE_ALPHABET = buildByteAlphabet();
const encoder = new TextEncoder();

/** Maps a string's UTF-8 bytes to the byte-level alphabet. */
export function toByteLevel(text: string): string {
  let out = '';
  for (const byte of encoder.encode(text)) out += BYTE_ALPHABET[byte];
  return out;
}

const REVERSE = new Map(BYTE_ALPHABET.map((ch, byte) => [ch, byte]));
const decoder = new TextDecoder();

/** Inverse of toByteLevel (used to decode token ids back to text). */
export function fromByteLevel(text: string): string {
  const bytes: number[] = [];
  for (const ch of text) {
    const byte = REVERSE.get(ch);
    if (byte !== undefined) bytes.push(byte);
  }
  return decoder.decode(new Uint8Array(bytes));
}
