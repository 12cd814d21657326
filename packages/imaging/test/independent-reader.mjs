// An independent reader of Style License provenance: Node's built-ins only (fs, zlib, crypto), no
// sharp and no project code. Usage: node independent-reader.mjs <image.png> <public key, SPKI DER base64>
// Prints JSON: the manifest, whether the Ed25519 signature holds, whether the decoded pixels match.
import { createHash, createPublicKey, verify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { inflateSync } from 'node:zlib';

const [file, publicKeyBase64] = process.argv.slice(2);
const png = readFileSync(file);
if (png.toString('latin1', 1, 4) !== 'PNG') throw new Error('not a PNG');

let header;
let xmp;
const idat = [];
for (let at = 8; at < png.length;) {
  const length = png.readUInt32BE(at);
  const type = png.toString('latin1', at + 4, at + 8);
  const data = png.subarray(at + 8, at + 8 + length);
  at += 12 + length;
  if (type === 'IHDR')
    header = { width: data.readUInt32BE(0), height: data.readUInt32BE(4), depth: data[8], colour: data[9] };
  if (type === 'IDAT') idat.push(data);
  const keywordEnd = data.indexOf(0);
  const keyword = data.toString('latin1', 0, keywordEnd);
  if (keyword !== 'XML:com.adobe.xmp') continue;
  // zTXt: keyword NUL method data; iTXt: keyword NUL flag method language NUL translated NUL text.
  if (type === 'zTXt') xmp = inflateSync(data.subarray(keywordEnd + 2)).toString('utf8');
  if (type === 'iTXt') {
    const compressed = data[keywordEnd + 1] === 1;
    let textStart = data.indexOf(0, keywordEnd + 3) + 1;
    textStart = data.indexOf(0, textStart) + 1;
    const text = data.subarray(textStart);
    xmp = (compressed ? inflateSync(text) : text).toString('utf8');
  }
}
if (!header || header.depth !== 8 || header.colour !== 2) throw new Error('expected an 8-bit RGB PNG');
const attribute = (name) => xmp?.match(new RegExp(`sl:${name}="([^"]*)"`))?.[1];
const manifestBase64 = attribute('provenance');
const signatureBase64 = attribute('provenanceSignature');
if (!manifestBase64 || !signatureBase64) {
  console.log(JSON.stringify({ signed: false }));
  process.exit(0);
}
const manifestBytes = Buffer.from(manifestBase64, 'base64');
const publicKey = createPublicKey({
  key: Buffer.from(publicKeyBase64, 'base64'),
  format: 'der',
  type: 'spki',
});
const signatureValid = verify(null, manifestBytes, publicKey, Buffer.from(signatureBase64, 'base64'));
const manifest = JSON.parse(manifestBytes.toString('utf8'));

// Undo PNG's per-row filters (RFC 2083 §6) to get the RGB pixels back, then digest them as signed.
const { width, height } = header;
const stride = width * 3;
const filtered = inflateSync(Buffer.concat(idat));
const pixels = Buffer.alloc(stride * height);
for (let y = 0; y < height; y++) {
  const filter = filtered[y * (stride + 1)];
  const row = filtered.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
  for (let x = 0; x < stride; x++) {
    const left = x >= 3 ? pixels[y * stride + x - 3] : 0;
    const up = y > 0 ? pixels[(y - 1) * stride + x] : 0;
    const upLeft = x >= 3 && y > 0 ? pixels[(y - 1) * stride + x - 3] : 0;
    let predictor = 0;
    if (filter === 1) predictor = left;
    else if (filter === 2) predictor = up;
    else if (filter === 3) predictor = (left + up) >> 1;
    else if (filter === 4) {
      const p = left + up - upLeft;
      const [pa, pb, pc] = [Math.abs(p - left), Math.abs(p - up), Math.abs(p - upLeft)];
      predictor = pa <= pb && pa <= pc ? left : pb <= pc ? up : upLeft;
    }
    pixels[y * stride + x] = (row[x] + predictor) & 0xff;
  }
}
const digest = createHash('sha256').update(`rgb8 ${width}x${height}\n`).update(pixels).digest('hex');
console.log(
  JSON.stringify({ signed: true, signatureValid, pixelsMatch: digest === manifest.pixels.digest, manifest }),
);
