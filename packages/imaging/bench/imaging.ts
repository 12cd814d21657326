// Signature + encode time for the result sizes, against a plain encode of the
// same pixels with the same settings in the same run (the ratio is the cost
// of signing). Run: pnpm --filter @stylelicense/imaging bench
import os from 'node:os';
import sharp from 'sharp';
import {
  clearSignatureCache,
  generateProvenanceKeyPair,
  provenanceSigner,
  STAMP_ENCODING,
  stampSignature,
  verifyArtwork,
  type StampFormat,
} from '../src';

const TARGET_MS: Record<number, number> = { 512: 20, 1024: 60 };
const ITERATIONS: Record<number, number> = { 512: 40, 1024: 20 };

/** Stand-in for a generated image: smooth colour fields plus fine grain (a gradient would compress unrealistically well). */
async function paintingLike(size: number): Promise<Buffer> {
  const fields = await sharp({
    create: {
      width: size / 8,
      height: size / 8,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 128, sigma: 60 },
    },
  })
    .resize(size, size, { kernel: 'cubic' })
    .raw()
    .toBuffer();
  const grain = await sharp({
    create: {
      width: size,
      height: size,
      channels: 3,
      background: '#000',
      noise: { type: 'gaussian', mean: 0, sigma: 6 },
    },
  })
    .raw()
    .toBuffer();
  return Buffer.from(fields.map((v, i) => Math.max(0, Math.min(255, v + grain[i]! - 0))));
}

async function signature(): Promise<Buffer> {
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="600" height="220"><text x="20" y="150" font-size="140" font-family="serif" font-style="italic" fill="#1a1a1a">Hana K.</text></svg>`;
  return sharp(Buffer.from(svg)).png().toBuffer();
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
const p95 = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.min(values.length - 1, Math.floor(values.length * 0.95))]!;

/** Wall-clock and process CPU milliseconds of one call. CPU time shows the work itself when other processes load the machine. */
async function time(run: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run();
  const used = process.cpuUsage(cpu);
  return { wall: performance.now() - started, cpu: (used.user + used.system) / 1000 };
}

const signaturePng = await signature();
const metadata = {
  artist: 'Hana Kim',
  style: 'Ink Wash',
  generationId: 'gen_bench',
  license: 'commercial',
  seed: 42,
};
const provenance = provenanceSigner(generateProvenanceKeyPair().privateKey);

console.log(
  `imaging bench — sharp ${sharp.versions.sharp}, libvips ${sharp.versions.vips}, libvips threads ${sharp.concurrency()}, ` +
    `${os.cpus().length} CPUs, load average ${os.loadavg()[0]!.toFixed(1)}, node ${process.version}`,
);
console.log(
  `encoders: png ${JSON.stringify(STAMP_ENCODING.png)}, webp ${JSON.stringify(STAMP_ENCODING.webp)}`,
);
console.log(
  'milliseconds: median wall (p95 wall) / median CPU; the target applies to the median wall time\n',
);
console.log(
  'size       format  cold   signed + encode          plain encode             ratio wall/CPU  target',
);

const fmt = (n: number, width = 5) => n.toFixed(1).padStart(width);
const row = (samples: { wall: number; cpu: number }[]) => {
  const wall = samples.map((s) => s.wall);
  return { wall: median(wall), p95: p95(wall), cpu: median(samples.map((s) => s.cpu)) };
};

let failed = false;
for (const size of [512, 1024]) {
  const pixels = await paintingLike(size);
  for (const format of ['png', 'webp'] as StampFormat[]) {
    const stamp = () =>
      stampSignature({
        image: pixels,
        raw: { width: size, height: size },
        signaturePng,
        metadata,
        provenance,
        format,
      });
    const plain = () => {
      const image = sharp(pixels, { raw: { width: size, height: size, channels: 3 } });
      return (format === 'png' ? image.png(STAMP_ENCODING.png) : image.webp(STAMP_ENCODING.webp)).toBuffer();
    };
    clearSignatureCache();
    const cold = await time(stamp); // includes decoding and resizing the signature
    for (let i = 0; i < 3; i++) await Promise.all([stamp(), plain()]); // warm up
    const signedSamples: { wall: number; cpu: number }[] = [];
    const plainSamples: { wall: number; cpu: number }[] = [];
    for (let i = 0; i < ITERATIONS[size]!; i++) {
      // Interleaved so load from other processes hits both alike.
      signedSamples.push(await time(stamp));
      plainSamples.push(await time(plain));
    }
    const signed = row(signedSamples);
    const baseline = row(plainSamples);
    const target = TARGET_MS[size]!;
    const ok = signed.wall < target;
    failed ||= !ok;
    console.log(
      `${`${size}×${size}`.padEnd(10)} ${format.padEnd(6)} ${fmt(cold.wall)}  ` +
        `${fmt(signed.wall)} (${fmt(signed.p95)}) / ${fmt(signed.cpu)}    ` +
        `${fmt(baseline.wall)} (${fmt(baseline.p95)}) / ${fmt(baseline.cpu)}    ` +
        `${(signed.wall / baseline.wall).toFixed(2)} / ${(signed.cpu / baseline.cpu).toFixed(2)}     ` +
        `< ${target} ${ok ? 'ok' : 'MISSED'}`,
    );
  }
}
console.log(failed ? '\nsome targets missed (see above)' : '\nall targets met');

// What styles.create pays per uploaded artwork (full decode to catch damaged files).
// The PNG is smaller: this grainy content at 2048² would pass the 10 MB limit as PNG.
console.log('\nverifyArtwork (median wall / CPU ms)');
for (const [format, size] of [
  ['jpeg', 2048],
  ['png', 1600],
] as const) {
  const image = sharp(await paintingLike(size), { raw: { width: size, height: size, channels: 3 } });
  const bytes = await (format === 'jpeg' ? image.jpeg({ quality: 92 }) : image.png()).toBuffer();
  const samples: { wall: number; cpu: number }[] = [];
  for (let i = 0; i < 10; i++) samples.push(await time(() => verifyArtwork(bytes)));
  const result = row(samples);
  console.log(
    `${`${size}×${size}`.padEnd(10)} ${format.padEnd(4)} ${(bytes.length / 1_048_576).toFixed(1).padStart(4)} MB  ${fmt(result.wall)} / ${fmt(result.cpu)}`,
  );
}
