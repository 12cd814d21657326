import { createHash } from 'node:crypto';

// WebP's RIFF container: a 12-byte header, then chunks (fourcc, little-endian size, payload padded
// to an even length). Our results hold VP8X + one lossy VP8 (or lossless VP8L) bitstream + XMP.

interface Chunk {
  fourcc: string;
  payload: Buffer;
}

function chunksOf(webp: Buffer): Chunk[] | null {
  if (
    webp.length < 12 ||
    webp.toString('latin1', 0, 4) !== 'RIFF' ||
    webp.toString('latin1', 8, 12) !== 'WEBP'
  )
    return null;
  const chunks: Chunk[] = [];
  for (let at = 12; at < webp.length;) {
    if (at + 8 > webp.length) return null;
    const size = webp.readUInt32LE(at + 4);
    if (at + 8 + size > webp.length) return null;
    chunks.push({
      fourcc: webp.toString('latin1', at, at + 4),
      payload: webp.subarray(at + 8, at + 8 + size),
    });
    at += 8 + size + (size % 2);
  }
  return chunks;
}

/** Width and height a VP8 (lossy) or VP8L (lossless) bitstream declares. */
function bitstreamSize({ fourcc, payload }: Chunk): { width: number; height: number } | null {
  if (
    fourcc === 'VP8 ' &&
    payload.length >= 10 &&
    payload[3] === 0x9d &&
    payload[4] === 0x01 &&
    payload[5] === 0x2a
  )
    return { width: payload.readUInt16LE(6) & 0x3fff, height: payload.readUInt16LE(8) & 0x3fff };
  if (fourcc === 'VP8L' && payload.length >= 5 && payload[0] === 0x2f) {
    const bits = payload.readUInt32LE(1);
    return { width: (bits & 0x3fff) + 1, height: ((bits >>> 14) & 0x3fff) + 1 };
  }
  return null;
}

const VP8X_XMP = 0x04;

/**
 * What a WebP result's pixels are bound to: a SHA-256 over `webp <fourcc> <w>x<h>\n` and its one
 * image bitstream. A decoder turns the same bitstream into the same pixels, and changed pixels
 * need a new bitstream, so this tells an edit or re-encode without decoding (and without depending
 * on a decoder's YUV upsampling). Null when the file holds anything else that could change what is
 * shown (alpha, a colour profile, animation, more than one image): such a file is not as signed.
 */
export function webpBitstreamDigest(
  webp: Uint8Array,
): { width: number; height: number; digest: string } | null {
  const chunks = chunksOf(Buffer.from(webp.buffer, webp.byteOffset, webp.byteLength));
  if (!chunks) return null;
  const images = chunks.filter((c) => c.fourcc === 'VP8 ' || c.fourcc === 'VP8L');
  const extended = chunks.filter((c) => c.fourcc === 'VP8X');
  const known = images.length + extended.length + chunks.filter((c) => c.fourcc === 'XMP ').length;
  if (images.length !== 1 || extended.length > 1 || known !== chunks.length) return null;
  const image = images[0]!;
  const size = bitstreamSize(image);
  if (!size) return null;
  const vp8x = extended[0]?.payload;
  if (vp8x) {
    if (vp8x.length < 10 || (vp8x[0]! & ~VP8X_XMP) !== 0) return null;
    if (vp8x.readUIntLE(4, 3) + 1 !== size.width || vp8x.readUIntLE(7, 3) + 1 !== size.height) return null;
  }
  const digest = createHash('sha256')
    .update(`webp ${image.fourcc.trim()} ${size.width}x${size.height}\n`)
    .update(image.payload)
    .digest('hex');
  return { ...size, digest };
}

/**
 * Adds an XMP chunk to a simple (VP8/VP8L) WebP file by rewriting its RIFF container into the
 * extended form (VP8X header + image + XMP), without touching the image bitstream. The stamp
 * uses it to sign a lossy WebP's bitstream after one encode instead of encoding twice.
 */
export function withWebpXmp(webp: Buffer, xmp: string, width: number, height: number): Buffer {
  if (webp.toString('latin1', 0, 4) !== 'RIFF' || webp.toString('latin1', 8, 12) !== 'WEBP')
    throw new Error('not a WebP file');
  const imageChunk = webp.subarray(12);
  const kind = imageChunk.toString('latin1', 0, 4);
  if (kind !== 'VP8 ' && kind !== 'VP8L') throw new Error(`expected a simple WebP, found a ${kind} chunk`);
  const vp8x = Buffer.alloc(18);
  vp8x.write('VP8X', 0, 'latin1');
  vp8x.writeUInt32LE(10, 4);
  vp8x.writeUInt8(VP8X_XMP, 8); // no alpha, ICC, EXIF or animation
  vp8x.writeUIntLE(width - 1, 12, 3);
  vp8x.writeUIntLE(height - 1, 15, 3);
  const payload = Buffer.from(xmp, 'utf8');
  const xmpChunk = Buffer.alloc(8 + payload.length + (payload.length % 2)); // chunks pad to even sizes
  xmpChunk.write('XMP ', 0, 'latin1');
  xmpChunk.writeUInt32LE(payload.length, 4);
  payload.copy(xmpChunk, 8);
  const header = Buffer.alloc(12);
  header.write('RIFF', 0, 'latin1');
  header.writeUInt32LE(4 + vp8x.length + imageChunk.length + xmpChunk.length, 4);
  header.write('WEBP', 8, 'latin1');
  return Buffer.concat([header, vp8x, imageChunk, xmpChunk]);
}
