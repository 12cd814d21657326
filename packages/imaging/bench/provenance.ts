// What the provenance manifest adds to a result: the pixel binding (PNG: a digest of the pixels;
// WebP: of the encoded bitstream), the Ed25519 signature and the larger XMP, through the stamp's own
// encodeSigned, against the same encode with the unsigned XMP in the same run (the ratio is the cost).
// Run: pnpm --filter @stylelicense/imaging bench
import sharp from 'sharp';
import {
  buildStampXmp,
  generateProvenanceKeyPair,
  provenanceSigner,
  STAMP_ENCODING,
  type StampFormat,
  type StampMetadata,
} from '../src';
import { encodeSigned } from '../src/stamp';

const TARGET_ADDED_MS = 15;
const ITERATIONS = 40;
const SIZE = 512;

const metadata: StampMetadata = {
  artist: 'Hana Kim',
  artistId: '0193a0f4-0000-7000-8000-000000000001',
  style: 'Ink Wash',
  styleId: '0193a0f4-0000-7000-8000-000000000002',
  generationId: '0193a0f4-0000-7000-8000-000000000003',
  license: 'commercial',
  seed: 42,
};
const signer = provenanceSigner(generateProvenanceKeyPair().privateKey);

/** Grainy colour fields: a generated image compresses about like this, a gradient far better. */
async function paintingLike(size: number): Promise<Buffer> {
  return sharp({
    create: {
      width: size,
      height: size,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 50 },
    },
  })
    .blur(1.2)
    .raw()
    .toBuffer();
}

/** The unsigned baseline: the same pixels and encoder settings with the stamp's XMP minus the manifest. */
const encode = (pixels: Buffer, format: StampFormat, xmp: string) => {
  const encoder = sharp(pixels, { raw: { width: SIZE, height: SIZE, channels: 3 } }).withXmp(xmp);
  return format === 'png'
    ? encoder.png(STAMP_ENCODING.png).toBuffer()
    : encoder.webp(STAMP_ENCODING.webp).toBuffer();
};

const signedEncode = (pixels: Buffer, format: StampFormat) =>
  encodeSigned(pixels, { width: SIZE, height: SIZE }, format, metadata, signer);

async function time(run: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await run();
  return performance.now() - started;
}
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

console.log(`provenance bench — ${SIZE}×${SIZE}, median of ${ITERATIONS} interleaved runs, milliseconds`);
console.log('format  unsigned encode  signed encode  added   ratio  target');
const pixels = await paintingLike(SIZE);
let failed = false;
for (const format of ['png', 'webp'] as StampFormat[]) {
  const unsigned = () => encode(pixels, format, buildStampXmp(metadata));
  const signed = () => signedEncode(pixels, format);
  for (let i = 0; i < 3; i++) await Promise.all([unsigned(), signed()]); // warm up
  const unsignedMs: number[] = [];
  const signedMs: number[] = [];
  for (let i = 0; i < ITERATIONS; i++) {
    // Interleaved so load from other processes hits both alike.
    unsignedMs.push(await time(unsigned));
    signedMs.push(await time(signed));
  }
  const base = median(unsignedMs);
  const withManifest = median(signedMs);
  const added = withManifest - base;
  const ok = added < TARGET_ADDED_MS;
  failed ||= !ok;
  console.log(
    `${format.padEnd(6)}  ${base.toFixed(1).padStart(15)}  ${withManifest.toFixed(1).padStart(13)}  ${added.toFixed(1).padStart(5)}  ` +
      `${(withManifest / base).toFixed(2).padStart(5)}  < ${TARGET_ADDED_MS} ${ok ? 'ok' : 'MISSED'}`,
  );
}
console.log(failed ? '\nsome targets missed (see above)' : '\nall targets met');
