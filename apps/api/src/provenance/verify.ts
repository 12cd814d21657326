import { DomainError } from '@stylelicense/contracts';
import { sniffImageType, verifyProvenance, type ProvenanceStatus } from '@stylelicense/imaging';
import type { AppDeps } from '../deps';
import type { Viewer } from '../common/viewer';

/** Larger than any result (a 1024² PNG is a few MB) with room for re-encodes people try. */
export const VERIFY_MAX_BYTES = 20 * 1024 * 1024;

export interface VerifyResult {
  status: ProvenanceStatus;
  /** Signed by one of our keys (whether or not the pixels changed since). */
  ours: boolean;
  /** null when the image carries no manifest of ours to compare with. */
  pixelsChanged: boolean | null;
  /** What our manifest says made the image; null unless `ours`. */
  claims: {
    generationId: string;
    style: { id: string | null; name: string };
    artist: { id: string | null; name: string };
    license: string;
    digitalSourceType: string;
    generator: string;
    keyId: string;
  } | null;
}

/**
 * Anyone may ask whether an image is one of ours: which generation, style, artist and licence its
 * manifest names, and whether its pixels changed since signing.
 */
export async function verifyImage(
  deps: Pick<AppDeps, 'provenanceKeys'>,
  _viewer: Viewer | null,
  { image }: { image: Uint8Array },
): Promise<VerifyResult> {
  if (image.byteLength > VERIFY_MAX_BYTES)
    throw new DomainError('IMAGE_SIZE_EXCEEDED', 'Images up to 20 MB can be verified.', {
      maxBytes: VERIFY_MAX_BYTES,
    });
  if (sniffImageType(image) === 'other')
    throw new DomainError('INVALID_IMAGE_FORMAT', 'Send a PNG, JPEG or WebP image.', { field: 'image' });
  const verdict = await verifyProvenance(image, deps.provenanceKeys).catch((error: unknown) => {
    throw new DomainError(
      'INVALID_IMAGE_FORMAT',
      'The image cannot be read.',
      { field: 'image' },
      { cause: error },
    );
  });
  const manifest = verdict.manifest;
  return {
    status: verdict.status,
    ours: manifest !== null,
    pixelsChanged: manifest ? verdict.status === 'changed' : null,
    claims: manifest && {
      generationId: manifest.generationId,
      style: manifest.style,
      artist: manifest.artist,
      license: manifest.license,
      digitalSourceType: manifest.digitalSourceType,
      generator: manifest.generator,
      keyId: manifest.keyId,
    },
  };
}
