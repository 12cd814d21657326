// A small but genuine CLIP byte-level BPE vocabulary: the 256 byte symbols,
// their `</w>` word-final forms, merges learned from a prompt-word corpus, then
// <|startoftext|> and <|endoftext|> (the highest id, as in CLIP).

const WORD_END = '</w>';

/** GPT-2/CLIP bytes_to_unicode, in CLIP's vocabulary order. */
function byteSymbols(): string[] {
  const printable: number[] = [];
  for (let b = 0x21; b <= 0x7e; b++) printable.push(b);
  for (let b = 0xa1; b <= 0xac; b++) printable.push(b);
  for (let b = 0xae; b <= 0xff; b++) printable.push(b);
  const symbols = printable.map((b) => String.fromCodePoint(b));
  let next = 256;
  for (let b = 0; b < 256; b++) if (!printable.includes(b)) symbols.push(String.fromCodePoint(next++));
  return symbols;
}

// Prompt vocabulary of the product (art styles, subjects); earlier words count as more frequent.
const CORPUS = `a an the of in on with and by at for to from as is portrait painting drawing sketch illustration
watercolor oil ink pencil charcoal digital art artwork style styled detailed highly intricate beautiful
landscape mountain mountains river lake sea ocean forest tree trees flower flowers garden city street night
day sunset sunrise sky cloud clouds light lighting shadow shadows color colors colorful vibrant soft warm cold
cat cats dog dogs bird birds horse fox wolf dragon castle house village tower bridge boat ship car train
woman man girl boy child people person face eyes hair smile hands figure character characters fantasy
anime manga comic cartoon realistic photorealistic photo photograph cinematic dramatic moody dark bright
pastel monochrome black white red blue green yellow orange purple pink gold golden silver
impressionist impressionism expressionist abstract surreal surrealism cubism minimalist baroque renaissance
gothic modern classic vintage retro futuristic cyberpunk steampunk studio trending masterpiece quality best
sharp focus bokeh depth field wide angle close up full body background foreground composition texture
brush strokes canvas paper linework lineart shading render rendered painterly concept environment scenery
winter summer autumn spring rain snow fog mist storm water fire ice stone wood glass metal neon reflection`;

interface Word {
  symbols: string[];
  count: number;
}

function learnMerges(maxMerges: number): [string, string][] {
  const words: Word[] = [];
  const seen = new Set<string>();
  const list = CORPUS.split(/\s+/).filter(Boolean);
  list.forEach((w, i) => {
    if (seen.has(w)) return;
    seen.add(w);
    const chars = [...w];
    chars[chars.length - 1] += WORD_END;
    words.push({ symbols: chars, count: list.length - i });
  });
  const merges: [string, string][] = [];
  while (merges.length < maxMerges) {
    const pairs = new Map<string, number>();
    for (const w of words) {
      for (let i = 0; i + 1 < w.symbols.length; i++) {
        const key = `${w.symbols[i]} ${w.symbols[i + 1]}`;
        pairs.set(key, (pairs.get(key) ?? 0) + w.count);
      }
    }
    let best: string | undefined;
    let bestCount = 0;
    for (const [key, count] of pairs) {
      // Ties broken by the pair's text so the result never depends on Map order subtleties.
      if (count > bestCount || (count === bestCount && best !== undefined && key < best)) {
        best = key;
        bestCount = count;
      }
    }
    if (!best) break;
    const [left, right] = best.split(' ') as [string, string];
    merges.push([left, right]);
    for (const w of words) {
      const merged: string[] = [];
      for (let i = 0; i < w.symbols.length; i++) {
        if (i + 1 < w.symbols.length && w.symbols[i] === left && w.symbols[i + 1] === right) {
          merged.push(left + right);
          i++;
        } else merged.push(w.symbols[i]!);
      }
      w.symbols = merged;
    }
  }
  return merges;
}

export interface TokenizerFiles {
  vocab: Record<string, number>;
  merges: string;
  vocabSize: number;
}

export function buildTokenizerFiles(maxMerges = 2000): TokenizerFiles {
  const bytes = byteSymbols();
  const tokens = [...bytes, ...bytes.map((s) => s + WORD_END)];
  const merges = learnMerges(maxMerges);
  const known = new Set(tokens);
  for (const [a, b] of merges) {
    const t = a + b;
    if (!known.has(t)) {
      known.add(t);
      tokens.push(t);
    }
  }
  tokens.push('<|startoftext|>', '<|endoftext|>');
  const vocab: Record<string, number> = {};
  tokens.forEach((t, i) => (vocab[t] = i));
  const mergesText = `#version: 0.2\n${merges.map((m) => m.join(' ')).join('\n')}\n`;
  return { vocab, merges: mergesText, vocabSize: tokens.length };
}
