import {
  createHash,
  createPrivateKey,
  createPublicKey,
  generateKeyPairSync,
  sign,
  verify,
  type KeyObject,
} from 'node:crypto';
import sharp from 'sharp';
import { readSignedManifest, type StampMetadata } from './stamp-metadata';
import { webpBitstreamDigest } from './webp-xmp';

/**
 * Provenance in the spirit of C2PA's Content Credentials: a manifest saying what made the image
 * (our trained model, `trainedAlgorithmicMedia`), for which generation, style, artist and licence,
 * bound to a SHA-256 of the pixels (see PixelBinding) and signed with Ed25519. It rides in the image's XMP
 * (`sl:provenance` + `sl:provenanceSignature`). Not C2PA's JUMBF/COSE container:
 * `@contentauth/c2pa-node` does not install from the npm registry alone (see the package README).
 */
export const PROVENANCE_FORMAT = 'stylelicense.provenance.v1';
/** IPTC's digital source type for output of a model trained on sampled content. */
export const TRAINED_ALGORITHMIC_MEDIA =
  'http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia';

export interface ProvenanceManifest {
  format: typeof PROVENANCE_FORMAT;
  claimGenerator: 'Style License';
  digitalSourceType: typeof TRAINED_ALGORITHMIC_MEDIA;
  /** The model that made the pixels: the product's base model with the style's LoRA adapter. */
  generator: string;
  generationId: string;
  style: { id: string | null; name: string };
  artist: { id: string | null; name: string };
  license: string;
  pixels: PixelBinding;
  /** Which of the product's keys signed (SHA-256 of its SPKI DER, hex). */
  keyId: string;
}

/**
 * - `sha256-rgb8` (PNG): SHA-256 over `rgb8 <width>x<height>\n` followed by the decoded RGB pixels, row-major.
 * - `sha256-webp-bitstream` (WebP): SHA-256 over `webp <VP8|VP8L> <width>x<height>\n` followed by
 *   the image bitstream, the only pixel-bearing chunk the file may hold (see webpBitstreamDigest).
 */
export interface PixelBinding {
  algorithm: 'sha256-rgb8' | 'sha256-webp-bitstream';
  width: number;
  height: number;
  digest: string;
}

export interface ProvenanceSigner {
  privateKey: KeyObject;
  publicKey: KeyObject;
  keyId: string;
}

/** The signed manifest as embedded: the exact JSON bytes signed (base64) and the signature (base64). */
export interface SignedManifest {
  manifest: string;
  signature: string;
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256')
    .update(publicKey.export({ type: 'spki', format: 'der' }))
    .digest('hex');
}

/** A signer from a PKCS#8 private key: DER as base64 (one env-friendly line) or PEM. */
export function provenanceSigner(privateKey: string | KeyObject): ProvenanceSigner {
  const key =
    typeof privateKey === 'string'
      ? privateKey.includes('-----BEGIN')
        ? createPrivateKey(privateKey)
        : createPrivateKey({ key: Buffer.from(privateKey, 'base64'), format: 'der', type: 'pkcs8' })
      : privateKey;
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('The provenance key must be an Ed25519 key');
  const publicKey = createPublicKey(key);
  return { privateKey: key, publicKey, keyId: keyIdOf(publicKey) };
}

/** An SPKI public key: DER as base64 or PEM. */
export function provenancePublicKey(publicKey: string): KeyObject {
  const key = publicKey.includes('-----BEGIN')
    ? createPublicKey(publicKey)
    : createPublicKey({ key: Buffer.from(publicKey, 'base64'), format: 'der', type: 'spki' });
  if (key.asymmetricKeyType !== 'ed25519') throw new Error('The provenance key must be an Ed25519 key');
  return key;
}

export function generateProvenanceKeyPair(): { privateKey: string; publicKey: string } {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  return {
    privateKey: privateKey.export({ type: 'pkcs8', format: 'der' }).toString('base64'),
    publicKey: publicKey.export({ type: 'spki', format: 'der' }).toString('base64'),
  };
}

export function rgbDigest(pixels: Uint8Array, width: number, height: number): string {
  return createHash('sha256').update(`rgb8 ${width}x${height}\n`).update(pixels).digest('hex');
}

/** The digest of an encoded image's pixels as any decoder sees them (alpha flattened onto white). */
async function decodedDigest(image: Uint8Array): Promise<{ width: number; height: number; digest: string }> {
  const { data, info } = await sharp(image, { failOn: 'error' })
    .flatten({ background: '#ffffff' })
    .toColourspace('srgb')
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { width: info.width, height: info.height, digest: rgbDigest(data, info.width, info.height) };
}

export function signManifest(
  signer: ProvenanceSigner,
  claims: StampMetadata,
  pixels: PixelBinding,
): SignedManifest {
  const manifest: ProvenanceManifest = {
    format: PROVENANCE_FORMAT,
    claimGenerator: 'Style License',
    digitalSourceType: TRAINED_ALGORITHMIC_MEDIA,
    generator: `Style License text-to-image with the LoRA adapter of style ${claims.styleId ?? claims.style}`,
    generationId: claims.generationId,
    style: { id: claims.styleId ?? null, name: claims.style },
    artist: { id: claims.artistId ?? null, name: claims.artist },
    license: claims.license,
    pixels,
    keyId: signer.keyId,
  };
  const bytes = Buffer.from(JSON.stringify(manifest), 'utf8');
  return {
    manifest: bytes.toString('base64'),
    signature: sign(null, bytes, signer.privateKey).toString('base64'),
  };
}

/**
 * - `verified`: signed by one of our keys and the pixels are the ones signed.
 * - `changed`: signed by us, but the pixels differ from what was signed (edited or re-encoded lossily).
 * - `not_ours`: a manifest that none of our keys signed (another key, or an altered manifest).
 * - `unsigned`: no manifest at all (e.g. metadata stripped by a re-encode).
 */
export type ProvenanceStatus = 'verified' | 'changed' | 'not_ours' | 'unsigned';

export interface ProvenanceVerdict {
  status: ProvenanceStatus;
  /** Only when one of our keys signed it. */
  manifest: ProvenanceManifest | null;
}

/** Checks an image's embedded manifest against the product's public keys. */
export async function verifyProvenance(
  image: Uint8Array,
  trustedKeys: readonly KeyObject[],
): Promise<ProvenanceVerdict> {
  const embedded = await readSignedManifest(image);
  if (!embedded) return { status: 'unsigned', manifest: null };
  const bytes = Buffer.from(embedded.manifest, 'base64');
  const signature = Buffer.from(embedded.signature, 'base64');
  const signedByUs = trustedKeys.some((key) => verify(null, bytes, key, signature));
  if (!signedByUs) return { status: 'not_ours', manifest: null };
  const manifest = JSON.parse(bytes.toString('utf8')) as ProvenanceManifest;
  const actual =
    manifest.pixels.algorithm === 'sha256-webp-bitstream'
      ? webpBitstreamDigest(image)
      : await decodedDigest(image);
  const same =
    actual !== null &&
    actual.digest === manifest.pixels.digest &&
    actual.width === manifest.pixels.width &&
    actual.height === manifest.pixels.height;
  return { status: same ? 'verified' : 'changed', manifest };
}
