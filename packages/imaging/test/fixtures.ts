import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { generateProvenanceKeyPair, provenanceSigner } from '../src';

/** A smooth gradient with a pattern: every pixel differs from its neighbours, so misplacement shows. */
export function gradientRgb(width: number, height: number): Buffer {
  const pixels = Buffer.alloc(width * height * 3);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 3;
      pixels[i] = (x * 3) % 256;
      pixels[i + 1] = (y * 5) % 256;
      pixels[i + 2] = (x + y) % 256;
    }
  }
  return pixels;
}

export const rawImage = (data: Buffer, width: number, height: number) =>
  sharp(data, { raw: { width, height, channels: 3 } });

export async function encodedImage(
  format: 'jpeg' | 'png' | 'webp' | 'gif' | 'tiff',
  width: number,
  height: number,
): Promise<Buffer> {
  return rawImage(gradientRgb(width, height), width, height).toFormat(format).toBuffer();
}

export const SIGNATURE_COLOUR = { r: 200, g: 30, b: 60 };

/**
 * A 400×200 signature: opaque SIGNATURE_COLOUR with a fully transparent
 * window (x 100..299, y 50..149), so both blending and transparency show.
 */
export async function signaturePng(width = 400, height = 200): Promise<Buffer> {
  const rgba = Buffer.alloc(width * height * 4);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const i = (y * width + x) * 4;
      const window = x >= width / 4 && x < (3 * width) / 4 && y >= height / 4 && y < (3 * height) / 4;
      rgba[i] = SIGNATURE_COLOUR.r;
      rgba[i + 1] = SIGNATURE_COLOUR.g;
      rgba[i + 2] = SIGNATURE_COLOUR.b;
      rgba[i + 3] = window ? 0 : 255;
    }
  }
  return sharp(rgba, { raw: { width, height, channels: 4 } })
    .png()
    .toBuffer();
}

export async function solidRgba(width: number, height: number, alpha: number): Promise<Buffer> {
  return sharp({ create: { width, height, channels: 4, background: { r: 10, g: 20, b: 30, alpha } } })
    .png()
    .toBuffer();
}

/** Rewrites a PNG's IHDR size (with a valid CRC): a header claiming far more pixels than the data holds. */
export function withClaimedPngSize(png: Buffer, width: number, height: number): Buffer {
  const out = Buffer.from(png);
  // Signature (8) + length (4) + "IHDR" (4): width and height follow.
  out.writeUInt32BE(width, 16);
  out.writeUInt32BE(height, 20);
  out.writeUInt32BE(crc32(out.subarray(12, 29)), 29);
  return out;
}

/** PNG chunks by type, to see what really got written. */
export function pngChunks(png: Buffer): { type: string; data: Buffer }[] {
  const chunks: { type: string; data: Buffer }[] = [];
  for (let at = 8; at + 8 <= png.length;) {
    const length = png.readUInt32BE(at);
    chunks.push({
      type: png.toString('latin1', at + 4, at + 8),
      data: png.subarray(at + 8, at + 8 + length),
    });
    at += 12 + length;
  }
  return chunks;
}

/** A fresh Ed25519 provenance key, as a deployment would configure one. */
export const testSigner = () => provenanceSigner(generateProvenanceKeyPair().privateKey);
