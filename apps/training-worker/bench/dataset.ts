// Dataset preparation time for 100 artworks of 3000×2000 JPEG (target < 8 s on a 2-core machine),
// against a ceiling in the same run: plain sharp decode + resize of the same files, same parallelism,
// nothing else (no sniffing, orientation, crop, encode, caption or file writes).
import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { makeTempDir } from '@stylelicense/test-kit';
import sharp from 'sharp';
import { prepareDataset, type ArtworkRecord } from '../src/index';

const COUNT = 100;
const WIDTH = 3000;
const HEIGHT = 2000;
const sourceDir = join(tmpdir(), `stylelicense-bench-dataset-${WIDTH}x${HEIGHT}-v1`);

/** Photo-like JPEGs (smooth colour fields plus fine grain), generated once and reused across runs. */
async function ensureSources(): Promise<string[]> {
  const files = Array.from({ length: COUNT }, (_, i) =>
    join(sourceDir, `artwork-${String(i).padStart(3, '0')}.jpg`),
  );
  if (files.every((file) => existsSync(file))) return files;
  await mkdir(sourceDir, { recursive: true });
  const grain = await sharp({
    create: {
      width: WIDTH,
      height: HEIGHT,
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: 18 },
    },
  })
    .png({ compressionLevel: 0 })
    .toBuffer();
  for (const [i, file] of files.entries()) {
    const fields = await sharp({
      create: {
        width: 60,
        height: 40,
        channels: 3,
        background: '#808080',
        noise: { type: 'gaussian', mean: 120 + i, sigma: 60 },
      },
    })
      .resize(WIDTH, HEIGHT, { kernel: 'cubic' })
      .png({ compressionLevel: 0 })
      .toBuffer();
    await sharp(fields)
      .composite([{ input: grain, blend: 'soft-light' }])
      .jpeg({ quality: 90 })
      .toFile(file);
  }
  return files;
}

async function timed<T>(run: () => Promise<T>): Promise<[number, T]> {
  const started = process.hrtime.bigint();
  const value = await run();
  return [Number(process.hrtime.bigint() - started) / 1e9, value];
}

async function baseline(files: string[], concurrency: number): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < files.length) {
      const file = files[next++] as string;
      await sharp(await readFile(file))
        .resize(1024, 512, { fit: 'cover' })
        .raw()
        .toBuffer();
    }
  };
  await Promise.all(Array.from({ length: concurrency }, lane));
}

async function prepare(files: string[], concurrency: number): Promise<number> {
  const out = await makeTempDir('bench-dataset-out');
  try {
    const artworks: ArtworkRecord[] = files.map((file, i) => ({
      id: `a${i}`,
      storageKey: file,
      tags: ['bench', 'ink'],
      caption: 'a bench artwork',
    }));
    const dataset = await prepareDataset({
      styleName: 'Bench Style',
      artworks,
      loadBytes: async (key) => readFile(key),
      datasetDir: out.path,
      concurrency,
    });
    return dataset.accepted.length;
  } finally {
    await out.remove();
  }
}

const files = await ensureSources();
const sizes = await Promise.all(files.slice(0, 5).map(async (f) => (await readFile(f)).byteLength));
console.log(
  `dataset preparation bench: ${COUNT} JPEG ${WIDTH}×${HEIGHT} (~${(sizes.reduce((a, b) => a + b) / sizes.length / 1e6).toFixed(1)} MB each)`,
);
console.log(
  `cores: ${availableParallelism()}, sharp threads per image: ${sharp.concurrency()}, libuv pool: ${process.env.UV_THREADPOOL_SIZE ?? 4}`,
);

await baseline(files.slice(0, 4), 2); // warm-up: load libvips, page in the files
for (const concurrency of [1, 2, 4]) {
  const [base] = await timed(() => baseline(files, concurrency));
  const [prep, accepted] = await timed(() => prepare(files, concurrency));
  if (accepted !== COUNT) throw new Error(`expected ${COUNT} accepted images, got ${accepted}`);
  const mark = concurrency === 2 ? '  ← default' : '';
  console.log(
    `concurrency ${concurrency}: prepareDataset ${prep.toFixed(2)} s (${((prep / COUNT) * 1000).toFixed(0)} ms/image), ` +
      `decode+resize ceiling ${base.toFixed(2)} s, ratio ${(prep / base).toFixed(2)}×${mark}`,
  );
}
console.log('target: prepareDataset < 8 s for 100 images at the default concurrency');
