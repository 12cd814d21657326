export { ARTWORK_LIMITS, verifyArtwork, type VerifiedArtwork } from './artwork';
export { SIGNATURE_PLACEMENT, signatureBox, type SignatureBox } from './placement';
export { clearSignatureCache, signatureCacheSize } from './signature-cache';
export {
  SIGNATURE_IMAGE_LIMITS,
  verifySignatureImage,
  type SignatureRejection,
  type VerifiedSignatureImage,
} from './signature-image';
export { MIME_TYPES, sniffImageType, type SniffedImageType } from './sniff';
export {
  buildStampXmp,
  readSignedManifest,
  readStampMetadata,
  XMP_NAMESPACE,
  type StampMetadata,
} from './stamp-metadata';
export {
  STAMP_CONTENT_TYPES,
  STAMP_ENCODING,
  stampSignature,
  type StampedImage,
  type StampFormat,
  type StampOptions,
} from './stamp';
export {
  generateProvenanceKeyPair,
  keyIdOf,
  PROVENANCE_FORMAT,
  provenancePublicKey,
  provenanceSigner,
  TRAINED_ALGORITHMIC_MEDIA,
  verifyProvenance,
  type ProvenanceManifest,
  type ProvenanceSigner,
  type ProvenanceStatus,
  type ProvenanceVerdict,
} from './provenance';
export { developmentProvenanceKey, type ProvenanceKeyPair } from './provenance-keys';
