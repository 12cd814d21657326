/** What the leading bytes say an image is; file names and declared types are never trusted. */
export type SniffedImageType = 'jpeg' | 'png' | 'webp' | 'other';

const PNG = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
const JPEG = [0xff, 0xd8, 0xff];
const RIFF = [0x52, 0x49, 0x46, 0x46];
const WEBP = [0x57, 0x45, 0x42, 0x50];

const has = (bytes: Uint8Array, signature: readonly number[], at = 0) =>
  bytes.byteLength >= at + signature.length && signature.every((byte, i) => bytes[at + i] === byte);

export function sniffImageType(bytes: Uint8Array): SniffedImageType {
  if (has(bytes, JPEG)) return 'jpeg';
  if (has(bytes, PNG)) return 'png';
  if (has(bytes, RIFF) && has(bytes, WEBP, 8)) return 'webp';
  return 'other';
}

export const MIME_TYPES: Readonly<Record<Exclude<SniffedImageType, 'other'>, string>> = {
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};
