/**
 * Adds an XMP chunk to a simple (VP8/VP8L) WebP file by rewriting its RIFF container into the
 * extended form (VP8X header + image + XMP), without touching the image bitstream. The stamp
 * uses it to sign a lossy WebP's decoded pixels after one encode instead of encoding twice.
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
  vp8x.writeUInt8(0x04, 8); // the XMP flag; no alpha, ICC, EXIF or animation
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
