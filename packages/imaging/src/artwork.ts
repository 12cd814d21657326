import { DomainError } from '@stylelicense/contracts';
import sharp, { type Metadata } from 'sharp';
import { sniffImageType } from './sniff';

/** SPEC.md: artworks are JPG or PNG (by their bytes), at least 512×512, at most 10 MB. */
export const ARTWORK_LIMITS = {
  maxBytes: 10 * 1024 * 1024,
  minWidth: 512,
  minHeight: 512,
  /** Decompression-bomb guard: a 10 MB PNG can claim billions of pixels. */
  maxPixels: 120_000_000,
} as const;

export interface VerifiedArtwork {
  format: 'jpeg' | 'png';
  /** As displayed, i.e. after the EXIF orientation is applied. */
  width: number;
  height: number;
  bytes: number;
}

/**
 * Checks an uploaded artwork: size, sniffed type, decodability and
 * resolution. Throws DomainError INVALID_IMAGE_FORMAT (not JPEG/PNG by its
 * bytes, or corrupt), IMAGE_SIZE_EXCEEDED (> 10 MB or too many pixels) or
 * IMAGE_RESOLUTION_TOO_LOW (< 512×512); `details.reason` says which rule.
 */
export async function verifyArtwork(bytes: Uint8Array): Promise<VerifiedArtwork> {
  if (bytes.byteLength > ARTWORK_LIMITS.maxBytes) {
    throw new DomainError('IMAGE_SIZE_EXCEEDED', `Image is ${bytes.byteLength} bytes; the limit is 10 MB`, {
      reason: 'too_many_bytes',
      bytes: bytes.byteLength,
      maxBytes: ARTWORK_LIMITS.maxBytes,
    });
  }
  const format = sniffImageType(bytes);
  if (format !== 'jpeg' && format !== 'png') {
    throw new DomainError('INVALID_IMAGE_FORMAT', 'Only JPG and PNG images are accepted', {
      reason: 'unsupported_type',
      detected: format,
    });
  }
  let meta: Metadata;
  try {
    meta = await sharp(bytes, { limitInputPixels: false }).metadata();
  } catch (error) {
    throw corrupt(error);
  }
  const width = meta.autoOrient?.width ?? meta.width ?? 0;
  const height = meta.autoOrient?.height ?? meta.height ?? 0;
  if (width * height > ARTWORK_LIMITS.maxPixels) {
    throw new DomainError(
      'IMAGE_SIZE_EXCEEDED',
      `Image has ${width}×${height} pixels; the limit is 120 megapixels`,
      {
        reason: 'too_many_pixels',
        width,
        height,
      },
    );
  }
  if (width < ARTWORK_LIMITS.minWidth || height < ARTWORK_LIMITS.minHeight) {
    throw new DomainError(
      'IMAGE_RESOLUTION_TOO_LOW',
      `Image is ${width}×${height}; at least 512×512 is required`,
      {
        reason: 'resolution_too_low',
        width,
        height,
      },
    );
  }
  // The header can be intact while the pixel data is truncated or damaged:
  // decode it all. A small shrink keeps this cheap (JPEG decodes at 1/8 scale)
  // while still reading every byte of the compressed stream.
  try {
    await sharp(bytes, { failOn: 'warning', limitInputPixels: ARTWORK_LIMITS.maxPixels })
      .resize({ width: 64, height: 64, fit: 'inside' })
      .raw()
      .toBuffer();
  } catch (error) {
    throw corrupt(error);
  }
  return { format, width, height, bytes: bytes.byteLength };
}

function corrupt(error: unknown): DomainError {
  return new DomainError(
    'INVALID_IMAGE_FORMAT',
    'The image is damaged and cannot be read',
    { reason: 'corrupt' },
    { cause: error },
  );
}
