import { createHash } from 'node:crypto';
import sharp from 'sharp';

// Cheap procedural pictures for the embedded demo: an artist's signature, a style's cover artwork
// and the seeded results. Rendering every seeded result through the diffusion pipeline would add
// tens of seconds to the first start on a CPU; an SVG rendered by sharp takes milliseconds.
// Everything is derived from ids and seeds, so the same demo looks the same on every machine.

/** A 32-bit number from any label. */
export function hash32(label: string): number {
  return createHash('sha256').update(label).digest().readUInt32LE(0);
}

/** mulberry32: a tiny deterministic PRNG, enough for placing shapes. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const escapeXml = (text: string): string =>
  text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&apos;' })[c]!,
  );

/**
 * The artist's name as handwriting-like text over a flourish, dark ink with a light halo (so it
 * reads on dark and light images alike), on a transparent background. The flourish alone keeps
 * the signature visible on a machine without fonts.
 */
export async function signaturePicture(artistName: string): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="480" height="160" viewBox="0 0 480 160">
  <g fill="none" stroke-linecap="round" stroke-linejoin="round">
    <path d="M40 124 C 140 96, 260 150, 440 110" stroke="#ffffff" stroke-opacity="0.8" stroke-width="12"/>
    <path d="M40 124 C 140 96, 260 150, 440 110" stroke="#1b1530" stroke-width="5"/>
  </g>
  <text x="240" y="86" text-anchor="middle" font-family="DejaVu Serif, Georgia, serif" font-style="italic" font-weight="bold"
    font-size="52" fill="#1b1530" stroke="#ffffff" stroke-opacity="0.8" stroke-width="6" paint-order="stroke">${escapeXml(artistName)}</text>
</svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

/** Four related colours for a style, from its id. */
function palette(styleId: string): string[] {
  const hue = hash32(`palette:${styleId}`) % 360;
  return [
    `hsl(${hue}, 55%, 18%)`,
    `hsl(${(hue + 30) % 360}, 60%, 45%)`,
    `hsl(${(hue + 180) % 360}, 65%, 62%)`,
    `hsl(${(hue + 340) % 360}, 70%, 82%)`,
  ];
}

export interface PaintingOptions {
  styleId: string;
  seed: number;
  width: number;
  height: number;
  caption?: string;
}

/** An abstract painting in the style's colours, laid out by the seed: RGB PNG bytes. */
export async function paintingPicture(options: PaintingOptions): Promise<Buffer> {
  return sharp(Buffer.from(paintingSvg(options)))
    .removeAlpha()
    .png({ compressionLevel: 1 })
    .toBuffer();
}

/** The same painting as raw RGB pixels (what imaging's stampSignature takes without decoding). */
export async function paintingPixels(options: PaintingOptions): Promise<Buffer> {
  return sharp(Buffer.from(paintingSvg(options)))
    .removeAlpha()
    .raw()
    .toBuffer();
}

function paintingSvg({ styleId, seed, width, height, caption }: PaintingOptions): string {
  const colours = palette(styleId);
  const next = random(hash32(`${styleId}:${seed}`));
  const pick = () => colours[Math.floor(next() * colours.length)]!;
  const shapes: string[] = [];
  for (let i = 0; i < 14; i++) {
    const r = (0.08 + next() * 0.25) * Math.min(width, height);
    shapes.push(
      `<circle cx="${(next() * width).toFixed(1)}" cy="${(next() * height).toFixed(1)}" r="${r.toFixed(1)}" fill="${pick()}" fill-opacity="${(0.25 + next() * 0.5).toFixed(2)}"/>`,
    );
  }
  for (let i = 0; i < 5; i++) {
    const y = next() * height;
    shapes.push(
      `<path d="M0 ${y.toFixed(1)} Q ${(width / 2).toFixed(1)} ${(y + (next() - 0.5) * height * 0.6).toFixed(1)} ${width} ${(next() * height).toFixed(1)}" stroke="${pick()}" stroke-width="${(4 + next() * 18).toFixed(1)}" stroke-opacity="0.7" fill="none"/>`,
    );
  }
  const text = caption
    ? `<text x="24" y="${height - 28}" font-family="DejaVu Sans, Arial, sans-serif" font-size="${Math.round(width / 22)}" fill="${colours[3]}" fill-opacity="0.85">${escapeXml(caption)}</text>`
    : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">
  <defs><linearGradient id="g" x1="0" y1="0" x2="${next().toFixed(2)}" y2="1">
    <stop offset="0" stop-color="${colours[0]}"/><stop offset="1" stop-color="${colours[1]}"/></linearGradient></defs>
  <rect width="${width}" height="${height}" fill="url(#g)"/>
  ${shapes.join('\n  ')}
  ${text}
</svg>`;
}
