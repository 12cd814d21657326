import { DomainError } from '@stylelicense/contracts';
import sharp, { type Metadata, type Stats } from 'sharp';
import { sniffImageType } from './sniff';

/** An artist's signature: a PNG with transparency, small enough to keep in memory per artist. */
export const SIGNATURE_IMAGE_LIMITS = {
  maxBytes: 2 * 1024 * 1024,
  minSide: 64,
  maxSide: 2048,
} as const;

export type SignatureRejection =
  'not_png' | 'too_many_bytes' | 'corrupt' | 'dimensions' | 'no_alpha' | 'fully_opaque' | 'fully_transparent';

export interface VerifiedSignatureImage {
  width: number;
  height: number;
  bytes: number;
}

function reject(
  reason: SignatureRejection,
  message: string,
  details: Record<string, unknown> = {},
  cause?: unknown,
): DomainError {
  return new DomainError(
    'VALIDATION_ERROR',
    message,
    { field: 'signatureImage', reason, ...details },
    cause === undefined ? undefined : { cause },
  );
}

/**
 * Checks an upload meant as an artist's signature. Throws DomainError
 * VALIDATION_ERROR with `details.reason` (see SignatureRejection): it must be
 * a PNG by its bytes, ≤ 2 MB, 64..2048 px per side, with an alpha channel
 * that is neither fully opaque (it would cover a block of every image) nor
 * fully transparent (nothing would show).
 */
export async function verifySignatureImage(bytes: Uint8Array): Promise<VerifiedSignatureImage> {
  const { maxBytes, minSide, maxSide } = SIGNATURE_IMAGE_LIMITS;
  if (bytes.byteLength > maxBytes) {
    throw reject('too_many_bytes', `Signature image is ${bytes.byteLength} bytes; the limit is 2 MB`, {
      bytes: bytes.byteLength,
      maxBytes,
    });
  }
  const type = sniffImageType(bytes);
  if (type !== 'png') throw reject('not_png', 'The signature must be a PNG image', { detected: type });

  let meta: Metadata;
  let alpha: Stats;
  try {
    meta = await sharp(bytes).metadata();
    const { width = 0, height = 0 } = meta;
    if (width < minSide || height < minSide || width > maxSide || height > maxSide) {
      throw reject(
        'dimensions',
        `Signature is ${width}×${height}; each side must be ${minSide}..${maxSide} px`,
        { width, height },
      );
    }
    if (!meta.hasAlpha)
      throw reject('no_alpha', 'The signature needs a transparent background (a PNG with alpha)');
    // stats() describes the decoded input: the last channel is the alpha.
    alpha = await sharp(bytes, { failOn: 'warning' }).stats();
  } catch (error) {
    if (error instanceof DomainError) throw error;
    throw reject('corrupt', 'The signature image is damaged and cannot be read', {}, error);
  }
  const channel = alpha.channels[alpha.channels.length - 1];
  const opaque = meta.depth === 'ushort' ? 65535 : 255; // 16-bit PNGs report 16-bit alpha
  if (channel === undefined || channel.min >= opaque) {
    throw reject('fully_opaque', 'The signature has no transparent pixels; use a transparent background');
  }
  if (channel.max === 0) throw reject('fully_transparent', 'The signature is fully transparent');
  return { width: meta.width ?? 0, height: meta.height ?? 0, bytes: bytes.byteLength };
}
