import { crc32, deflateSync, inflateSync } from 'node:zlib';

const SIGNATURE_BYTES = 8;

interface Chunk {
  type: string;
  data: Buffer;
}

function chunksOf(png: Buffer): Chunk[] {
  if (png.toString('latin1', 1, 4) !== 'PNG') throw new Error('not a PNG');
  const chunks: Chunk[] = [];
  for (let offset = SIGNATURE_BYTES; offset < png.length;) {
    const length = png.readUInt32BE(offset);
    chunks.push({
      type: png.toString('latin1', offset + 4, offset + 8),
      data: png.subarray(offset + 8, offset + 8 + length),
    });
    offset += 12 + length;
  }
  return chunks;
}

function encodeChunk({ type, data }: Chunk): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])) >>> 0, 0);
  return Buffer.concat([head, data, crc]);
}

/**
 * The same PNG, every chunk (its metadata, our signed manifest) kept, with the first sample of the
 * first row changed: a valid image whose pixels are no longer the ones signed.
 */
export function withOnePixelChanged(png: Buffer): Buffer {
  const chunks = chunksOf(png);
  const firstData = chunks.findIndex((chunk) => chunk.type === 'IDAT');
  if (firstData < 0) throw new Error('a PNG without image data');
  const filtered = inflateSync(Buffer.concat(chunks.filter((c) => c.type === 'IDAT').map((c) => c.data)));
  // Byte 0 is the row's filter type; byte 1 its first sample, whatever the filter.
  filtered[1] = filtered[1]! ^ 0xff;
  const rest = chunks.filter((chunk) => chunk.type !== 'IDAT');
  rest.splice(firstData, 0, { type: 'IDAT', data: deflateSync(filtered) });
  return Buffer.concat([png.subarray(0, SIGNATURE_BYTES), ...rest.map(encodeChunk)]);
}

/** An RGB PNG drawn pixel by pixel: artworks the API accepts (real PNG bytes, any size asked). */
export function makePng(
  width: number,
  height: number,
  pixel: (x: number, y: number) => [number, number, number],
): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8); // 8-bit RGB, no interlace
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    for (let x = 0; x < width; x++) rows.set(pixel(x, y), row + 1 + x * 3);
  }
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    encodeChunk({ type: 'IHDR', data: header }),
    encodeChunk({ type: 'IDAT', data: deflateSync(rows) }),
    encodeChunk({ type: 'IEND', data: Buffer.alloc(0) }),
  ]);
}
