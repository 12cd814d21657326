import sharp from 'sharp';

/** The signature's ink: pure magenta, a colour the tiny model's renders do not produce. */
export const SIGNATURE_INK = { r: 255, g: 0, b: 255 } as const;
export const SIGNATURE_SIZE = { width: 240, height: 80 } as const;

/**
 * An artist's signature: a PNG with transparency (the upgrade refuses fully opaque ones), magenta
 * ink on the left two thirds, the rest transparent.
 */
export async function signaturePng(): Promise<Buffer> {
  const { width, height } = SIGNATURE_SIZE;
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const inked = x < (width * 2) / 3 && y >= height / 4 && y < (height * 3) / 4;
      rgba.set([SIGNATURE_INK.r, SIGNATURE_INK.g, SIGNATURE_INK.b, inked ? 255 : 0], (y * width + x) * 4);
    }
  }
  return sharp(rgba, { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
}

/** One of an artist's artworks: `size`² PNG, diagonal bands whose colours and pitch depend on `index`. */
export async function artworkPng(index: number, size = 640): Promise<Buffer> {
  const rgb = Buffer.alloc(size * size * 3);
  const pitch = 24 + index * 7;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const band = Math.floor((x + y) / pitch) % 3;
      const shade = (x * 255) / size;
      rgb.set(
        band === 0
          ? [40 + index * 20, shade, 120]
          : band === 1
            ? [shade, 90, 200 - index * 10]
            : [230, 200 - index * 15, shade],
        (y * size + x) * 3,
      );
    }
  }
  return sharp(rgb, { raw: { width: size, height: size, channels: 3 } })
    .png()
    .toBuffer();
}

/** Share of the pixels of `region` (raw RGB) within `tolerance` of `ink` blended at 85 % over anything. */
export function inkedShare(
  region: Buffer,
  channels: number,
  ink: { r: number; g: number; b: number },
): number {
  let inked = 0;
  const pixels = region.length / channels;
  for (let i = 0; i < region.length; i += channels) {
    // 85 % ink over any background stays within 0.15 × 255 ≈ 38 of the ink on every channel.
    const close =
      Math.abs(region[i]! - ink.r) <= 40 &&
      Math.abs(region[i + 1]! - ink.g) <= 40 &&
      Math.abs(region[i + 2]! - ink.b) <= 40;
    if (close) inked++;
  }
  return inked / pixels;
}
